//! Dead letters, from the queue's side. A trigger whose last try failed is recorded by the worker
//! (it knows why); one whose last try never finished (the invocation timed out or crashed) reaches
//! the dead-letter queue unrecorded, and the dead-letter recorder, fed by that queue, records it.
//! Both record by the queue message's id, so a trigger is recorded once between them.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};

use crate::model::WorkspaceId;
use crate::ports::{StoreError, Trigger};
use crate::worker::{read_trigger, Deadline, SqsConsumer};
use crate::App;
use colloquy_domain::dead_letters::{self, Death, UNFINISHED};
use colloquy_domain::metrics::Measurement;
use colloquy_domain::reply::{self, Attempt};

/// Records `death` for its workspace, once, and counts it: `false` when it was recorded already.
pub(crate) async fn bury(app: &App, death: Death<'_>) -> Result<bool, StoreError> {
    let workspace = WorkspaceId::from(death.trigger.workspace_id());
    let Some(dead) = dead_letters::record(&*app.store, &app.event_ports(), death).await? else {
        return Ok(false);
    };
    app.metrics.record(Measurement::dead_letter(&workspace, dead.kind()));
    Ok(true)
}

/// No contact is left silently unanswered: the conversation of a turn that got no reply says
/// why, for its operator (an analysis is no turn of the conversation).
pub(crate) async fn tell_the_conversation(app: &App, trigger: &Trigger, reason: &str) {
    // A scenario's run says so instead: the scenario failed, and why.
    if let Trigger::TestScenario(scenario) = trigger {
        if let Err(err) = colloquy_domain::test_suites::scenario::give_up(&app.scenario_ports(), scenario, reason).await
        {
            tracing::error!(error = %err, "could not record the scenario's failure on its run");
        }
        return;
    }
    let Some(turn) = trigger.conversation().filter(|_| !matches!(trigger, Trigger::Analysis(_))) else { return };
    if let Err(err) = reply::give_up(&app.reply_ports(), turn, reason).await {
        tracing::error!(error = %err, "could not record the failure on the conversation");
    }
}

/// The consumer of the trigger dead-letter queue.
pub struct DeadLetterRecorder {
    pub app: App,
}

impl DeadLetterRecorder {
    /// Records each trigger the worker did not; a record that cannot be recorded now (the store
    /// is down) comes back.
    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        for record in event.records {
            // An unreadable trigger was logged by `read_trigger`; nothing of it can be shown.
            let (Some(trigger), Some(message_id)) = (read_trigger(&record), record.message_id.as_deref()) else {
                continue;
            };
            let death = Death {
                trigger: &trigger,
                queued_as: message_id,
                reason: UNFINISHED,
                receive_count: Attempt::MAX_RECEIVES,
            };
            match bury(&self.app, death).await {
                Ok(true) => {
                    tracing::error!(group = %trigger.group(), trigger = %trigger.id(), "a trigger's last try did not finish; recorded as a dead letter");
                    tell_the_conversation(&self.app, &trigger, UNFINISHED).await;
                }
                Ok(false) => tracing::debug!(trigger = %trigger.id(), "the worker recorded this dead letter"),
                Err(err) => {
                    tracing::warn!(error = %err, "could not record a dead letter; it comes back");
                    let mut failure = BatchItemFailure::default();
                    failure.item_identifier = message_id.to_owned();
                    response.batch_item_failures.push(failure);
                }
            }
        }
        response
    }
}

impl SqsConsumer for DeadLetterRecorder {
    async fn consume(&self, event: SqsEvent, _: Deadline) -> SqsBatchResponse {
        self.handle(event).await
    }
}
