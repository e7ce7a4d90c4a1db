//! A run of a suite: the suite's scenarios as they were when it started, the agent and prompt
//! version they run against, and each scenario's result as the worker records it. Its serde
//! shape is the API's (and what is stored).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::model::{Expectation, Scenario};
use crate::model::{AgentId, ConversationId, PromptId, TestRunId, TestSuiteId, WorkspaceId};
use crate::prompts::labels::LabelName;

#[derive(Debug, Clone, PartialEq)]
pub struct TestRun {
    pub id: TestRunId,
    pub workspace_id: WorkspaceId,
    pub suite_id: TestSuiteId,
    pub suite_name: String,
    pub agent_id: AgentId,
    /// The prompt version every scenario is pinned to; `None`: the prompt has no version yet,
    /// and the scenarios read its working copy (a passing run then leaves no marker).
    pub prompt: Option<PinnedVersion>,
    /// The suite's scenarios when the run started: a later edit does not change a running run.
    pub scenarios: Vec<Scenario>,
    pub started_at: OffsetDateTime,
    /// The key that started it (its prefix).
    pub started_by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PinnedVersion {
    pub prompt_id: PromptId,
    pub version: u32,
    /// The label it was picked by, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<LabelName>,
}

/// What one scenario did, and whether it passed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScenarioResult {
    pub index: u32,
    pub name: String,
    pub passed: bool,
    /// The sandbox conversation it ran in (`GET /api/v1/conversations/{id}/` shows it whole).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<ConversationId>,
    pub transcript: Vec<TranscriptLine>,
    pub verdicts: Vec<ExpectationVerdict>,
    pub tokens: ScenarioTokens,
    pub duration_ms: u64,
    /// Why it could not finish (then it failed whatever its verdicts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(with = "crate::model::timestamp::iso")]
    pub finished_at: OffsetDateTime,
}

/// One line of a scenario's conversation, as a person reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptLine {
    /// `contact`, `agent` or `tool`.
    pub role: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call: Option<TranscriptToolCall>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptToolCall {
    pub name: String,
    pub arguments: serde_json::Value,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpectationVerdict {
    pub expectation: Expectation,
    pub passed: bool,
    pub why: String,
}

/// Every LLM call of the scenario: the agent's, the simulated contact's and the judge's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScenarioTokens {
    pub input_tokens: u64,
    pub output_tokens: u64,
}

impl ScenarioTokens {
    pub fn add(&mut self, input: u64, output: u64) {
        self.input_tokens += input;
        self.output_tokens += output;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum RunStatus {
    Running,
    Passed,
    Failed,
}

impl RunStatus {
    /// Running until every scenario has its result; then passed when every one passed.
    pub fn of(run: &TestRun, results: &[ScenarioResult]) -> Self {
        if results.len() < run.scenarios.len() {
            RunStatus::Running
        } else if results.iter().all(|result| result.passed) {
            RunStatus::Passed
        } else {
            RunStatus::Failed
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Passed => "passed",
            RunStatus::Failed => "failed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_suites::model::ScriptedContact;

    fn run(scenarios: usize) -> TestRun {
        let scenario = Scenario {
            name: "s".into(),
            contact: ScriptedContact::Turns(vec!["Hi".into()]),
            tool_results: serde_json::Map::new(),
            approvals: Default::default(),
            expect: Vec::new(),
        };
        TestRun {
            id: "run".into(),
            workspace_id: "ws".into(),
            suite_id: "suite".into(),
            suite_name: "Suite".into(),
            agent_id: "agent".into(),
            prompt: None,
            scenarios: vec![scenario; scenarios],
            started_at: OffsetDateTime::UNIX_EPOCH,
            started_by: "key".into(),
        }
    }

    fn result(index: u32, passed: bool) -> ScenarioResult {
        ScenarioResult {
            index,
            name: "s".into(),
            passed,
            conversation_id: None,
            transcript: Vec::new(),
            verdicts: Vec::new(),
            tokens: ScenarioTokens::default(),
            duration_ms: 0,
            error: None,
            finished_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_scenarios_tokens_add_up() {
        let mut tokens = ScenarioTokens { input_tokens: 5, output_tokens: 1 };
        tokens.add(10, 3);
        tokens.add(2, 4);
        assert_eq!(tokens, ScenarioTokens { input_tokens: 17, output_tokens: 8 });
    }

    #[test]
    fn a_run_passes_only_when_every_scenario_has_passed() {
        assert_eq!(RunStatus::of(&run(2), &[result(0, true)]), RunStatus::Running);
        assert_eq!(RunStatus::of(&run(2), &[result(0, false)]), RunStatus::Running, "still running");
        assert_eq!(RunStatus::of(&run(2), &[result(0, true), result(1, true)]), RunStatus::Passed);
        assert_eq!(RunStatus::of(&run(2), &[result(0, true), result(1, false)]), RunStatus::Failed);
        assert_eq!(RunStatus::Failed.as_str(), "failed");
    }
}
