//! The SQS FIFO worker: each record is a trigger for one conversation. The batch's conversation
//! groups run concurrently (bounded), each group's records in order; after a failure, the rest of
//! that group fails too, so that its order holds. A failed record is hidden for a growing time
//! (10 s, 20 s, 40 s… by its receive count) before the queue delivers it again. Close to the
//! invocation's deadline no record is started: those are reported as failures and come back at
//! once, unpenalised, instead of being lost with a timed-out invocation.

use std::time::Duration;

pub use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use futures_util::stream::{self, StreamExt};

use crate::dead_letters::{bury, tell_the_conversation};
pub use crate::model::deadline::Deadline;
use crate::ports::Trigger;
use crate::App;
use colloquy_domain::analysis;
use colloquy_domain::dead_letters::Death;
use colloquy_domain::events;
use colloquy_domain::knowledge;
use colloquy_domain::metrics::Measurement;
use colloquy_domain::reply::{self, AgentCache, Attempt, RetryLater};
use colloquy_domain::test_suites;

/// Conversation groups worked on at once: enough to hide one slow LLM call behind the others.
pub const CONCURRENT_GROUPS: usize = 5;
/// No trigger is started with less than this left: one LLM call and its sends fit in it.
pub const TRIGGER_BUDGET: Duration = Duration::from_secs(35);

/// What the SQS event source feeds: the worker, and the dead-letter recorder. The local stack's
/// event source feeds either the way Lambda does.
pub trait SqsConsumer: Sync {
    fn consume(
        &self,
        event: SqsEvent,
        deadline: Deadline,
    ) -> impl std::future::Future<Output = SqsBatchResponse> + Send;
}

impl<C: SqsConsumer + Send> SqsConsumer for std::sync::Arc<C> {
    async fn consume(&self, event: SqsEvent, deadline: Deadline) -> SqsBatchResponse {
        (**self).consume(event, deadline).await
    }
}

impl SqsConsumer for Worker {
    async fn consume(&self, event: SqsEvent, deadline: Deadline) -> SqsBatchResponse {
        self.handle(event, deadline).await
    }
}

/// What the worker keeps between invocations of one container.
pub struct Worker {
    pub app: App,
    pub cache: AgentCache,
}

/// 10 s after the first receive, doubling each time, at most 15 minutes.
pub fn backoff(receive_count: u32) -> Duration {
    let doublings = receive_count.saturating_sub(1).min(10);
    Duration::from_secs((10u64 << doublings).min(900))
}

fn receive_count(record: &SqsMessage) -> u32 {
    record.attributes.get("ApproximateReceiveCount").and_then(|n| n.parse().ok()).unwrap_or(1)
}

/// The trigger a record carries; `None` when it is not readable (retrying cannot fix that).
pub(crate) fn read_trigger(record: &SqsMessage) -> Option<Trigger> {
    let body = record.body.as_deref().unwrap_or_default();
    match serde_json::from_str(body) {
        Ok(trigger) => Some(trigger),
        Err(err) => {
            tracing::error!(error = %err, message = ?record.message_id, "trigger is not readable; dropped");
            None
        }
    }
}

/// How long the record waited since it was sent (SQS's `SentTimestamp`, epoch milliseconds).
fn queue_wait(record: &SqsMessage, now: time::OffsetDateTime) -> Option<u64> {
    let sent: i128 = record.attributes.get("SentTimestamp")?.parse().ok()?;
    let now = now.unix_timestamp_nanos() / 1_000_000;
    u64::try_from(now - sent).ok()
}

fn group_of(record: &SqsMessage) -> String {
    record.attributes.get("MessageGroupId").cloned().unwrap_or_default()
}

#[derive(Clone, Copy)]
enum Outcome {
    Done,
    Failed,
    NotStarted,
    /// The contact is still writing: back after this, unpenalised.
    Deferred(Duration),
}

impl Worker {
    pub fn new(app: App) -> Self {
        Self { app, cache: AgentCache::default() }
    }

    pub async fn handle(&self, event: SqsEvent, deadline: Deadline) -> SqsBatchResponse {
        let mut groups: Vec<(String, Vec<SqsMessage>)> = Vec::new();
        for record in event.records {
            let group = group_of(&record);
            match groups.iter_mut().find(|(name, _)| *name == group) {
                Some((_, records)) => records.push(record),
                None => groups.push((group, vec![record])),
            }
        }
        let failures: Vec<Vec<String>> = stream::iter(groups)
            .map(|(_, records)| self.run_group(records, deadline))
            .buffer_unordered(CONCURRENT_GROUPS)
            .collect()
            .await;
        let mut response = SqsBatchResponse::default();
        for id in failures.into_iter().flatten() {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
        response
    }

    /// One conversation's records in order; the ids of those that must come back.
    async fn run_group(&self, records: Vec<SqsMessage>, deadline: Deadline) -> Vec<String> {
        let mut failed = Vec::new();
        // Once a record is not done, the rest of the group waits behind it, for the same reason.
        let mut blocked: Option<Outcome> = None;
        // Every turn a trigger of this batch stands for was stored before the batch was received:
        // once one of them has been handled, the conversation has answered (or found nothing to
        // answer in) all of them, and the rest need not read it again.
        let mut turns_handled = false;
        for record in records {
            let trigger = read_trigger(&record);
            let is_turn = trigger.as_ref().is_some_and(Trigger::is_turn);
            let (outcome, ran) = if let Some(reason) = blocked {
                (reason, false)
            } else if turns_handled && is_turn {
                tracing::debug!(message = ?record.message_id, "turn already answered in this batch");
                (Outcome::Done, false)
            } else if !deadline.leaves(TRIGGER_BUDGET) {
                (Outcome::NotStarted, false)
            } else {
                (self.process(&record, trigger.clone(), deadline).await, true)
            };
            if !ran && !matches!(outcome, Outcome::Done) {
                self.dead_unrun(&record, trigger.as_ref()).await;
            }
            match outcome {
                Outcome::Done => {
                    turns_handled |= is_turn;
                    continue;
                }
                Outcome::Failed => self.retry_later(&record, backoff(receive_count(&record))).await,
                // Not its fault: back at once.
                Outcome::NotStarted => self.retry_later(&record, Duration::ZERO).await,
                Outcome::Deferred(wait) => self.retry_later(&record, wait).await,
            }
            blocked = Some(outcome);
            failed.push(record.message_id.clone().unwrap_or_default());
        }
        failed
    }

    /// A record that did not run (it waited behind its group's failing trigger, or no time was
    /// left) on its last receive goes to the dead-letter queue all the same: recorded for its
    /// workspace, so that it is not lost silently.
    async fn dead_unrun(&self, record: &SqsMessage, trigger: Option<&Trigger>) {
        let receive = receive_count(record);
        let (Some(trigger), Some(message_id), true) =
            (trigger, record.message_id.as_deref(), Attempt::receive(receive).is_last())
        else {
            return;
        };
        let reason = "it waited behind a failing trigger of its conversation (or no time was left) on its last receive";
        let death = Death { trigger, queued_as: message_id, reason, receive_count: receive };
        if let Err(err) = bury(&self.app, death).await {
            tracing::error!(error = %err, "could not record the dead letter; the dead-letter recorder will");
        }
    }

    async fn retry_later(&self, record: &SqsMessage, after: Duration) {
        let Some(receipt) = record.receipt_handle.as_deref() else { return };
        if let Err(err) = self.app.queue.retry_later(receipt, after).await {
            tracing::warn!(error = %err, "could not set when the trigger comes back; the queue's visibility timeout applies");
        }
    }

    async fn process(&self, record: &SqsMessage, trigger: Option<Trigger>, deadline: Deadline) -> Outcome {
        // An unreadable trigger is dropped: retrying cannot fix it, and the conversation moves on.
        let Some(trigger) = trigger else { return Outcome::Done };
        let attempt = Attempt::receive(receive_count(record));
        let app = &self.app;
        let workspace = colloquy_domain::model::WorkspaceId::from(trigger.workspace_id());
        // Wall-clock time, as SQS stamps it (not the app's clock, which tests move).
        if let Some(waited) = queue_wait(record, time::OffsetDateTime::now_utc()) {
            let receive = if attempt.number() == 1 { "first" } else { "retry" };
            app.metrics.record(Measurement::trigger(&workspace, trigger.kind(), receive, waited));
        }
        let result = match &trigger {
            Trigger::Event(event) => events::deliver(&app.delivery_ports(), &event.workspace_id, &event.id, attempt)
                .await
                .map_err(RetryLater::Busy),
            Trigger::Analysis(analysis) => analysis::run(&app.analysis_ports(), analysis).await,
            Trigger::Knowledge(change) => {
                knowledge::ingest::rebuild(&app.knowledge_ports(), change).await.map_err(RetryLater::Busy)
            }
            Trigger::TestScenario(scenario) => {
                test_suites::scenario::play(&app.scenario_ports(), &self.cache, scenario, deadline, attempt).await
            }
            Trigger::FollowUp(follow_up) => {
                reply::answer(
                    &app.reply_ports(),
                    &self.cache,
                    &follow_up.turn,
                    Some(follow_up.attempt),
                    deadline,
                    attempt,
                )
                .await
            }
            Trigger::InboundMessage(turn)
            | Trigger::OperatorPrompt(turn)
            | Trigger::UserPrompt(turn)
            | Trigger::ToolDecision(turn) => {
                reply::answer(&app.reply_ports(), &self.cache, turn, None, deadline, attempt).await
            }
        };
        let ran = match &trigger {
            Trigger::FollowUp(_) => Some("follow_up"),
            Trigger::Analysis(_) => Some("analysis"),
            Trigger::TestScenario(_) => Some("test_scenario"),
            _ => None,
        };
        if let Some(kind) = ran {
            let outcome = if result.is_ok() { "done" } else { "retry" };
            app.metrics.record(Measurement::run(&workspace, kind, outcome));
        }
        match result {
            Ok(()) => Outcome::Done,
            Err(RetryLater::NotYet(wait)) => {
                app.metrics.record(Measurement::quiet_period(&workspace, wait.as_millis()));
                Outcome::Deferred(wait)
            }
            // Not a failure: a part's status is on its way, or the wait for it ends.
            Err(RetryLater::AwaitingStatus(wait)) => Outcome::Deferred(wait),
            Err(err) if attempt.is_last() => {
                tracing::error!(error = %err, group = %trigger.group(), trigger = %trigger.id(), "trigger failed for the last time; it goes to the dead-letter queue");
                let reason = err.to_string();
                tell_the_conversation(app, &trigger, &reason).await;
                // Its workspace sees it, and may send it back (GET /api/v1/dead-letters/).
                let message_id = record.message_id.as_deref().unwrap_or_default();
                let death = Death {
                    trigger: &trigger,
                    queued_as: message_id,
                    reason: &reason,
                    receive_count: attempt.number(),
                };
                if let Err(record_err) = bury(app, death).await {
                    tracing::error!(error = %record_err, "could not record the dead letter; the dead-letter recorder will");
                }
                Outcome::Failed
            }
            Err(err) => {
                tracing::warn!(error = %err, group = %trigger.group(), trigger = %trigger.id(), "trigger failed; the queue will redeliver it");
                Outcome::Failed
            }
        }
    }
}
