//! Starting a run and reading it: the run pins the agent's prompt version, keeps the suite's
//! scenarios as they are, and queues one trigger per scenario, each on a FIFO group of its own so
//! that the scenarios run at once; the worker records each scenario's result.

use super::port::TestSuiteStore;
use super::run::{PinnedVersion, ScenarioResult, TestRun};
use crate::agents::model::PromptPick;
use crate::agents::AgentRejection;
use crate::conversations::ConversationRejection;
use crate::model::{AgentId, Principal, TestRunId, TestSuiteId};
use crate::ports::{AgentStore, Clock, PromptStore, TestScenarioTrigger, Trigger, TriggerQueue};
use crate::AppError;

/// What starting a run touches.
#[derive(Clone, Copy)]
pub struct RunPorts<'a> {
    pub suites: &'a dyn TestSuiteStore,
    pub agents: &'a dyn AgentStore,
    pub prompts: &'a dyn PromptStore,
    pub queue: &'a dyn TriggerQueue,
    pub clock: &'a dyn Clock,
}

/// A run to start: the agent, and the version of its prompt (a number or a label; none: the
/// one the agent answers live traffic with).
#[derive(Debug, Clone)]
pub struct StartRun {
    pub agent_id: AgentId,
    pub pick: Option<PromptPick>,
}

pub async fn start(
    ports: &RunPorts<'_>,
    principal: &Principal,
    suite_id: &TestSuiteId,
    start: StartRun,
) -> Result<TestRun, AppError> {
    let suite = super::get(ports.suites, principal, suite_id).await?;
    let agent = ports
        .agents
        .get_agent(&principal.workspace_id, &start.agent_id)
        .await?
        .ok_or(AppError::Rejected(ConversationRejection::UnknownAgent.into()))?;
    let prompt = ports.prompts.get_prompt(&principal.workspace_id, &agent.prompt_id).await?;
    let rejected = |rejection: AgentRejection| AppError::Rejected(rejection.into());
    let pinned = match (start.pick, prompt) {
        (Some(PromptPick::Version(version)), _) => {
            if ports.prompts.get_prompt_version(&agent.prompt_id, version).await?.is_none() {
                return Err(rejected(AgentRejection::UnknownPromptVersion(version)));
            }
            Some((version, None))
        }
        (Some(PromptPick::Label(label)), prompt) => {
            let version = prompt.and_then(|p| p.labels.version_of(&label));
            Some((version.ok_or_else(|| rejected(AgentRejection::UnknownPromptLabel(label.clone())))?, Some(label)))
        }
        (None, prompt) => {
            let labelled = agent.prompt_label.as_ref().and_then(|label| {
                prompt.as_ref().and_then(|p| p.labels.version_of(label)).map(|version| (version, Some(label.clone())))
            });
            let latest = prompt.as_ref().map(|p| p.latest_version).filter(|&latest| latest > 0);
            agent.prompt_version.map(|version| (version, None)).or(labelled).or(latest.map(|version| (version, None)))
        }
    };
    let run = TestRun {
        id: TestRunId::generate(),
        workspace_id: principal.workspace_id.clone(),
        suite_id: suite.id.clone(),
        suite_name: suite.name.clone(),
        agent_id: agent.id.clone(),
        prompt: pinned.map(|(version, label)| PinnedVersion { prompt_id: agent.prompt_id.clone(), version, label }),
        scenarios: suite.scenarios,
        started_at: ports.clock.now(),
        started_by: principal.key_prefix.clone(),
    };
    ports.suites.create_test_run(&run).await?;
    for index in 0..run.scenarios.len() {
        let scenario = u32::try_from(index).unwrap_or(u32::MAX);
        let trigger = Trigger::TestScenario(TestScenarioTrigger {
            id: format!("test-run.{}.{scenario}", run.id),
            workspace_id: run.workspace_id.clone(),
            run_id: run.id.clone(),
            scenario,
            conversation_id: None,
        });
        ports.queue.enqueue(&trigger).await?;
    }
    tracing::info!(run = %run.id, suite = %suite.id, agent = %agent.id, scenarios = run.scenarios.len(), "test run started");
    Ok(run)
}

/// A run of the suite, with the results recorded so far; another suite's run is not found.
pub async fn get(
    suites: &dyn TestSuiteStore,
    principal: &Principal,
    suite_id: &TestSuiteId,
    run_id: &TestRunId,
) -> Result<(TestRun, Vec<ScenarioResult>), AppError> {
    suites
        .get_test_run(&principal.workspace_id, run_id)
        .await?
        .filter(|(run, _)| &run.suite_id == suite_id)
        .ok_or_else(|| AppError::not_found(&format!("test run `{run_id}`")))
}
