//! One scenario of a run, played by the worker: a sandbox conversation pinned to the run's
//! version, the contact's turns (scripted, or written by the simulated contact) stored one by
//! one, each answered by the same `reply::answer` the live pipeline runs — with the scenario's
//! stubbed tools and its approvals decided as it says — then each expectation decided, the
//! result recorded once, and, when it was the run's last, the run's pass recorded for the label
//! gate. A scenario that needs more than one invocation continues in the next.

use std::time::{Duration, Instant};

use super::judge;
use super::model::{Approvals, Expectation, Scenario, ScriptedContact};
use super::port::TestSuiteStore;
use super::run::{ExpectationVerdict, RunStatus, ScenarioResult, ScenarioTokens, TestRun};
use super::sandbox::{self, StubTools, WithoutWebhook};
use super::transcript;
use crate::conversations::model::{preview, PromptArm};
use crate::model::deadline::Deadline;
use crate::model::{
    Agent, Conversation, ConversationId, DeliveryStatus, Direction, Message, MessageError, MessageKind, Principal, Role,
};
use crate::policies::evaluate;
use crate::policies::model::Flow;
use crate::ports::{Attempt, ChatReply, StoreError, TestScenarioTrigger, Trigger, TriggerQueue, Turn};
use crate::reply::{answer, AgentCache, ReplyPorts, RetryLater};
use crate::tools::call::{public_id, ToolCallStatus};
use crate::tools::tool_calls::{record_decision, Decision};
use crate::usage::model::{day_of, Tokens, UsageDelta};

/// What playing a scenario touches: the live pipeline's ports (the sandbox is made from them),
/// the runs, and the queue a long scenario continues through.
#[derive(Clone, Copy)]
pub struct ScenarioPorts<'a> {
    pub reply: ReplyPorts<'a>,
    pub suites: &'a dyn TestSuiteStore,
    pub queue: &'a dyn TriggerQueue,
}

/// A contact turn is started only with this much of the invocation left; otherwise the scenario
/// continues in the next one.
const TURN_BUDGET: Duration = Duration::from_secs(25);
/// Rounds of answering and deciding approvals after one contact turn.
const MAX_ROUNDS: usize = 8;
/// The messages of a scenario's conversation that are read back.
const MAX_MESSAGES: usize = 500;

pub async fn play(
    ports: &ScenarioPorts<'_>,
    cache: &AgentCache,
    trigger: &TestScenarioTrigger,
    deadline: Deadline,
    attempt: Attempt,
) -> Result<(), RetryLater> {
    let Some((run, results)) = ports.suites.get_test_run(&trigger.workspace_id, &trigger.run_id).await? else {
        return Ok(());
    };
    let index = trigger.scenario;
    let Some(scenario) = run.scenarios.get(index as usize) else { return Ok(()) };
    if results.iter().any(|result| result.index == index) {
        return Ok(());
    }
    let started = Instant::now();
    let result = match played(ports, cache, &run, trigger, scenario, deadline).await {
        Ok(Played::Continues) => return Ok(()),
        Ok(Played::Finished(result)) => *result,
        Err(err) if attempt.is_last() => {
            let why = format!("the scenario could not finish: {err}");
            failed(&ports.reply, index, scenario, trigger.conversation_id.clone(), why, started)
        }
        Err(err) => return Err(err),
    };
    let passed = result.passed;
    ports.suites.record_scenario_result(&run.workspace_id, &run.id, &result).await?;
    tracing::info!(run = %run.id, scenario = index, passed, "test scenario played");
    record_if_passed(ports.suites, &run).await
}

/// The scenario's trigger died (its last try did not finish): the scenario failed, saying why,
/// so that its run finishes.
pub async fn give_up(ports: &ScenarioPorts<'_>, trigger: &TestScenarioTrigger, reason: &str) -> Result<(), RetryLater> {
    let Some((run, _)) = ports.suites.get_test_run(&trigger.workspace_id, &trigger.run_id).await? else {
        return Ok(());
    };
    let Some(scenario) = run.scenarios.get(trigger.scenario as usize) else { return Ok(()) };
    let why = format!("the scenario could not finish: {reason}");
    let result = failed(&ports.reply, trigger.scenario, scenario, trigger.conversation_id.clone(), why, Instant::now());
    ports.suites.record_scenario_result(&run.workspace_id, &run.id, &result).await?;
    record_if_passed(ports.suites, &run).await
}

enum Played {
    Finished(Box<ScenarioResult>),
    /// Out of time: queued again, to go on in the same conversation.
    Continues,
}

async fn played(
    ports: &ScenarioPorts<'_>,
    cache: &AgentCache,
    run: &TestRun,
    trigger: &TestScenarioTrigger,
    scenario: &Scenario,
    deadline: Deadline,
) -> Result<Played, RetryLater> {
    let started = Instant::now();
    let live = &ports.reply;
    let Some(agent) = live.agents.get_agent(&run.workspace_id, &run.agent_id).await? else {
        let why = format!("the agent `{}` no longer exists", run.agent_id);
        return Ok(Played::Finished(Box::new(failed(live, trigger.scenario, scenario, None, why, started))));
    };
    let conversation = match &trigger.conversation_id {
        Some(id) => live.conversations.get_conversation(&run.workspace_id, id).await?,
        None => None,
    };
    let conversation = match conversation {
        Some(conversation) => conversation,
        None => {
            let arm = run.prompt.as_ref().map(|p| PromptArm { version: p.version, label: p.label.clone() });
            let conversation = Conversation::start_test(&run.workspace_id, agent.id.clone(), arm, live.clock.now());
            live.conversations.save_conversation(&conversation, None, &[]).await?;
            conversation
        }
    };
    let stubs = StubTools::new(&scenario.tool_results);
    let workspaces = WithoutWebhook(live.workspaces);
    let sandbox = sandbox::ports(live, &stubs, &workspaces);
    let decider = Principal {
        workspace_id: run.workspace_id.clone(),
        role: Role::Write,
        key_prefix: format!("test run {}", run.id),
    };
    let mut spent = ScenarioTokens::default();
    loop {
        let messages = messages_of(live, &conversation.id).await?;
        let said = transcript::said(&messages);
        let contact_turns = said.iter().filter(|(by_contact, _)| *by_contact).count();
        if handed_off(&messages) {
            break;
        }
        if !deadline.leaves(TURN_BUDGET) {
            let next = TestScenarioTrigger {
                id: format!("test-run.{}.{}.{contact_turns}", run.id, trigger.scenario),
                conversation_id: Some(conversation.id.clone()),
                ..trigger.clone()
            };
            ports.queue.enqueue(&Trigger::TestScenario(next)).await.map_err(|err| RetryLater::Busy(err.to_string()))?;
            return Ok(Played::Continues);
        }
        let text = match &scenario.contact {
            ScriptedContact::Turns(turns) => turns.get(contact_turns).cloned(),
            ScriptedContact::Simulate(simulation) if contact_turns < simulation.max_turns as usize => {
                let (text, reply) =
                    judge::contact_writes(live.llm, &agent, simulation, &said).await.map_err(RetryLater::Llm)?;
                count_test_tokens(live, &agent, &reply, &mut spent).await?;
                text
            }
            ScriptedContact::Simulate(_) => None,
        };
        let Some(text) = text else { break };
        let turn = contact_writes(&sandbox, &conversation.id, &run.workspace_id, &text).await?;
        answer_turn(&sandbox, cache, &turn, scenario.approvals, &decider, deadline).await?;
    }
    let messages = messages_of(live, &conversation.id).await?;
    let verdicts = verdicts(live, &agent, scenario, &messages, &mut spent).await?;
    // The agent's tokens are on its conversation; the contact's and the judge's were counted here.
    if let Some(ended) = live.conversations.get_conversation(&run.workspace_id, &conversation.id).await? {
        spent.add(ended.input_tokens, ended.output_tokens);
    }
    let tokens = spent;
    Ok(Played::Finished(Box::new(ScenarioResult {
        index: trigger.scenario,
        name: scenario.name.clone(),
        passed: verdicts.iter().all(|verdict| verdict.passed),
        conversation_id: Some(conversation.id.clone()),
        transcript: transcript::lines(&messages),
        verdicts,
        tokens,
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        error: None,
        finished_at: live.clock.now(),
    })))
}

/// Stores the contact's message (checked by the input policies as a contact's is), and the turn
/// that answers it.
async fn contact_writes(
    sandbox: &ReplyPorts<'_>,
    conversation_id: &ConversationId,
    workspace_id: &crate::model::WorkspaceId,
    text: &str,
) -> Result<Turn, RetryLater> {
    let verdict = evaluate(&sandbox.policies, workspace_id, conversation_id, Flow::Input, text)
        .await
        .map_err(|err| RetryLater::Busy(err.to_string()))?;
    let mut retries = crate::optimistic::Retries::new("the test conversation");
    loop {
        retries.another().await.map_err(|busy| RetryLater::Busy(busy.to_string()))?;
        let Some(conversation) = sandbox.conversations.get_conversation(workspace_id, conversation_id).await? else {
            return Err(RetryLater::Busy("the test conversation is gone".into()));
        };
        let now = sandbox.clock.now();
        let mut message =
            Message::new(conversation_id, Direction::Inbound, MessageKind::Text, DeliveryStatus::Received, now);
        message.text = Some(text.to_owned());
        message.error = verdict.blocked_by.as_deref().map(MessageError::blocked_by);
        let mut updated = conversation.revised(now);
        updated.contact_wrote(now, preview(text), None);
        match sandbox.conversations.save_conversation(&updated, Some(conversation.revision), &[message.clone()]).await {
            Ok(()) => return Ok(Turn::of(&conversation, &message.id)),
            Err(StoreError::Conflict(_)) => continue,
            Err(err) => return Err(err.into()),
        }
    }
}

/// Answers the turn as the worker would, deciding each call that waits for approval as the
/// scenario says, until the agent has answered or stopped.
async fn answer_turn(
    sandbox: &ReplyPorts<'_>,
    cache: &AgentCache,
    turn: &Turn,
    approvals: Approvals,
    decider: &Principal,
    deadline: Deadline,
) -> Result<(), RetryLater> {
    // Past the quiet period's deferrals: a scenario's turn is answered now.
    let attempt = Attempt::receive(Attempt::MAX_DEFERRALS);
    for _ in 0..MAX_ROUNDS {
        answer(sandbox, cache, turn, None, deadline, attempt).await?;
        let messages = messages_of(sandbox, &turn.conversation_id).await?;
        let waiting: Vec<&Message> = messages
            .iter()
            .filter(|m| m.tool_call.as_ref().is_some_and(|call| call.status == ToolCallStatus::PendingApproval))
            .collect();
        if waiting.is_empty() {
            return Ok(());
        }
        for message in waiting {
            let decision = match approvals {
                Approvals::Approve => Decision::Approve,
                Approvals::Reject => Decision::Reject(Some("rejected by the test scenario".into())),
            };
            let id = public_id(&turn.conversation_id, &message.id);
            match record_decision(sandbox, decider, &id, decision).await {
                Ok(_) | Err(crate::AppError::Conflict(_)) => {}
                Err(err) => return Err(RetryLater::Busy(err.to_string())),
            }
        }
    }
    Ok(())
}

/// The conversation's messages, oldest first.
async fn messages_of(ports: &ReplyPorts<'_>, conversation_id: &ConversationId) -> Result<Vec<Message>, StoreError> {
    crate::conversations::newest_messages(ports.conversations, conversation_id, MAX_MESSAGES).await
}

/// A person has the conversation: the agent will not answer, so the contact stops writing.
fn handed_off(messages: &[Message]) -> bool {
    let verdict = super::verdicts::decide(&Expectation::HandsOff(true), messages);
    verdict.is_some_and(|verdict| verdict.passed)
}

async fn verdicts(
    ports: &ReplyPorts<'_>,
    agent: &Agent,
    scenario: &Scenario,
    messages: &[Message],
    spent: &mut ScenarioTokens,
) -> Result<Vec<ExpectationVerdict>, RetryLater> {
    let mut verdicts = Vec::with_capacity(scenario.expect.len());
    for expectation in &scenario.expect {
        let verdict = match (super::verdicts::decide(expectation, messages), expectation) {
            (Some(verdict), _) => verdict,
            (None, Expectation::Judge(rubric)) => {
                let text = transcript::for_the_judge(messages);
                let (verdict, reply) = judge::judge(ports.llm, agent, rubric, &text).await.map_err(RetryLater::Llm)?;
                count_test_tokens(ports, agent, &reply, spent).await?;
                verdict
            }
            (None, _) => continue,
        };
        verdicts.push(ExpectationVerdict {
            expectation: expectation.clone(),
            passed: verdict.passed,
            why: verdict.why,
        });
    }
    Ok(verdicts)
}

/// The simulated contact's and the judge's tokens: the scenario's, and the workspace's test usage.
async fn count_test_tokens(
    ports: &ReplyPorts<'_>,
    agent: &Agent,
    reply: &ChatReply,
    spent: &mut ScenarioTokens,
) -> Result<(), StoreError> {
    spent.add(reply.input_tokens, reply.output_tokens);
    let usage = UsageDelta {
        workspace_id: agent.workspace_id.clone(),
        agent_id: agent.id.clone(),
        day: day_of(ports.clock.now()),
        tokens: Tokens::test(reply),
    };
    ports.usage.add_usage(&usage).await
}

fn failed(
    ports: &ReplyPorts<'_>,
    index: u32,
    scenario: &Scenario,
    conversation_id: Option<ConversationId>,
    why: String,
    started: Instant,
) -> ScenarioResult {
    ScenarioResult {
        index,
        name: scenario.name.clone(),
        passed: false,
        conversation_id,
        transcript: Vec::new(),
        verdicts: Vec::new(),
        tokens: ScenarioTokens::default(),
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        error: Some(why),
        finished_at: ports.clock.now(),
    }
}

/// When every scenario has its result and all passed, the version has a passing run of the
/// suite: what a label that requires the suite checks. Recorded by whichever scenario finishes
/// last (both, if two finish at once: the marker is the same).
async fn record_if_passed(suites: &dyn TestSuiteStore, run: &TestRun) -> Result<(), RetryLater> {
    let Some((run, results)) = suites.get_test_run(&run.workspace_id, &run.id).await? else { return Ok(()) };
    let status = RunStatus::of(&run, &results);
    if let (RunStatus::Passed, Some(pinned)) = (status, &run.prompt) {
        suites.record_passing_run(&run.workspace_id, &run.suite_id, &pinned.prompt_id, pinned.version, &run.id).await?;
    }
    if status != RunStatus::Running {
        tracing::info!(run = %run.id, status = status.as_str(), "test run finished");
    }
    Ok(())
}
