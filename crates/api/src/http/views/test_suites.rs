//! Test suites as the API shows them: the scenarios exactly as written.

use serde::Serialize;
use serde_json::{json, Value};

use crate::model::{timestamp, AgentId, PromptId, TestRunId, TestSuiteId};
use colloquy_domain::test_suites::model::{Scenario, TestSuite};
use colloquy_domain::test_suites::run::{RunStatus, ScenarioResult, TestRun};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestSuiteView {
    pub id: TestSuiteId,
    pub name: String,
    pub description: String,
    pub scenarios: Vec<Scenario>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&TestSuite> for TestSuiteView {
    fn from(suite: &TestSuite) -> Self {
        Self {
            id: suite.id.clone(),
            name: suite.name.clone(),
            description: suite.description.clone(),
            scenarios: suite.scenarios.clone(),
            created_at: timestamp::format(suite.created_at),
            updated_at: timestamp::format(suite.updated_at),
        }
    }
}

/// A run: where it stands, and each scenario's result as it comes (`running` until then).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestRunView {
    pub id: TestRunId,
    pub suite_id: TestSuiteId,
    pub suite_name: String,
    pub agent_id: AgentId,
    pub prompt_id: Option<PromptId>,
    /// The version every scenario ran against; `null`: the prompt's working copy.
    pub prompt_version: Option<u32>,
    pub prompt_label: Option<String>,
    pub status: &'static str,
    pub started_at: String,
    pub started_by: String,
    /// When the last scenario finished, once all have.
    pub finished_at: Option<String>,
    pub passed: usize,
    pub failed: usize,
    /// Each scenario's `index`, `name` and `status`; once it finished, its result's fields too.
    pub scenarios: Vec<Value>,
}

impl TestRunView {
    pub fn new(run: &TestRun, results: &[ScenarioResult]) -> Self {
        let status = RunStatus::of(run, results);
        let scenarios = run
            .scenarios
            .iter()
            .enumerate()
            .map(|(index, scenario)| {
                let index = u32::try_from(index).unwrap_or(u32::MAX);
                match results.iter().find(|result| result.index == index) {
                    Some(result) => {
                        let mut shown = serde_json::to_value(result).unwrap_or_else(|_| json!({}));
                        shown["status"] = json!(if result.passed { "passed" } else { "failed" });
                        shown
                    }
                    None => json!({"index": index, "name": scenario.name, "status": "running"}),
                }
            })
            .collect();
        let finished_at = (status != RunStatus::Running)
            .then(|| results.iter().map(|result| result.finished_at).max())
            .flatten()
            .map(timestamp::format);
        Self {
            id: run.id.clone(),
            suite_id: run.suite_id.clone(),
            suite_name: run.suite_name.clone(),
            agent_id: run.agent_id.clone(),
            prompt_id: run.prompt.as_ref().map(|pinned| pinned.prompt_id.clone()),
            prompt_version: run.prompt.as_ref().map(|pinned| pinned.version),
            prompt_label: run.prompt.as_ref().and_then(|pinned| pinned.label.as_ref().map(|label| label.to_string())),
            status: status.as_str(),
            started_at: timestamp::format(run.started_at),
            started_by: run.started_by.clone(),
            finished_at,
            passed: results.iter().filter(|result| result.passed).count(),
            failed: results.iter().filter(|result| !result.passed).count(),
            scenarios,
        }
    }
}
