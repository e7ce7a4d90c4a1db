//! Dead letters: a trigger the worker gave up on (its last receive failed; the queue moves it
//! to the dead-letter queue) is recorded for its workspace with why, so that a person can see it
//! and send it back onto the trigger queue, once.

pub mod port;

use crate::events::model::{EventData, EventType};
use crate::events::{emit_quietly, EventPorts};
use crate::model::{ConversationId, Page, PageRequest, Principal, WorkspaceId};
use crate::ports::{Clock, QueueError, StoreError, Trigger, TriggerQueue};
use crate::AppError;
use serde::Serialize;
use time::OffsetDateTime;

pub use port::DeadLetterStore;

/// How long a dead letter is kept: as long as the dead-letter queue keeps its messages.
pub const KEPT_DAYS: i64 = 14;

#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetter {
    /// Time-ordered: the newest sort last.
    pub id: String,
    pub workspace_id: WorkspaceId,
    /// The trigger as it was queued, to send back.
    pub trigger: Trigger,
    /// Why its last try failed.
    pub reason: String,
    /// How often the queue delivered it.
    pub receive_count: u32,
    pub dead_at: OffsetDateTime,
    /// When a person sent it back, and who (their key's prefix).
    pub redriven_at: Option<OffsetDateTime>,
    pub redriven_by: Option<String>,
}

impl DeadLetter {
    /// What the trigger was for: `inbound_message`, `follow_up`, `analysis`, `event`…
    pub fn kind(&self) -> &'static str {
        self.trigger.kind()
    }

    pub fn conversation_id(&self) -> Option<&ConversationId> {
        self.trigger.conversation().map(|turn| &turn.conversation_id)
    }
}

/// `trigger.dead_lettered`: a conversation's trigger failed for the last time.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TriggerDeadLettered {
    pub dead_letter_id: String,
    pub kind: &'static str,
    pub reason: String,
}

impl EventData for TriggerDeadLettered {
    const TYPE: EventType = EventType::TriggerDeadLettered;
}

/// Records that `trigger` failed for the last time, and why, once: `queued_as` names its queue
/// message (SQS keeps a message's id when it moves it to the dead-letter queue), so the worker
/// on the last try and the dead-letter recorder after a try that never finished record it at
/// most once between them. `None` when it was recorded already. An event says so for a
/// conversation's trigger (an event delivery that died is not announced to the webhook that
/// failed it).
pub async fn record(
    store: &dyn DeadLetterStore,
    events: &EventPorts<'_>,
    death: Death<'_>,
) -> Result<Option<DeadLetter>, StoreError> {
    let Death { trigger, queued_as, reason, receive_count } = death;
    let dead = DeadLetter {
        id: crate::model::ids::new_id(),
        workspace_id: trigger.workspace_id().into(),
        trigger: trigger.clone(),
        reason: reason.chars().take(MAX_REASON_CHARS).collect(),
        receive_count,
        dead_at: events.clock.now(),
        redriven_at: None,
        redriven_by: None,
    };
    match store.record_dead_letter(&dead, queued_as).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => return Ok(None),
        Err(err) => return Err(err),
    }
    if let Some(turn) = trigger.conversation() {
        let data =
            TriggerDeadLettered { dead_letter_id: dead.id.clone(), kind: dead.kind(), reason: dead.reason.clone() };
        emit_quietly(events, &dead.workspace_id, &turn.conversation_id, &data).await;
    }
    Ok(Some(dead))
}

/// A trigger's death, as the queue and the worker know it.
#[derive(Debug, Clone, Copy)]
pub struct Death<'a> {
    pub trigger: &'a Trigger,
    /// Its queue message's id.
    pub queued_as: &'a str,
    pub reason: &'a str,
    pub receive_count: u32,
}

/// Why a trigger is in the dead-letter queue when the worker did not record it: its last try
/// ended without an answer from the worker.
pub const UNFINISHED: &str = "its last try did not finish: the worker timed out or stopped before it could say why";

/// A reason is an error's text: bounded, as whatever failed may have said a lot.
pub const MAX_REASON_CHARS: usize = 1000;

pub async fn list(
    store: &dyn DeadLetterStore,
    principal: &Principal,
    page: &PageRequest,
) -> Result<Page<DeadLetter>, AppError> {
    Ok(store.list_dead_letters(&principal.workspace_id, page).await?)
}

/// Sends a dead letter back onto the trigger queue, once: the first redrive is recorded (when,
/// by whom) before the trigger is queued; a second is refused with who did it first.
pub async fn redrive(
    store: &dyn DeadLetterStore,
    queue: &dyn TriggerQueue,
    clock: &dyn Clock,
    principal: &Principal,
    id: &str,
) -> Result<DeadLetter, AppError> {
    let Some(dead) = store.get_dead_letter(&principal.workspace_id, id).await? else {
        return Err(AppError::not_found("dead letter"));
    };
    if let (Some(at), Some(by)) = (dead.redriven_at, &dead.redriven_by) {
        return Err(already_redriven(at, by));
    }
    let now = clock.now();
    match store.mark_redriven(&principal.workspace_id, id, now, &principal.key_prefix).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            let by = store
                .get_dead_letter(&principal.workspace_id, id)
                .await?
                .and_then(|d| d.redriven_at.zip(d.redriven_by));
            return Err(by.map_or_else(
                || AppError::Conflict("it was redriven already".into()),
                |(at, by)| already_redriven(at, &by),
            ));
        }
        Err(err) => return Err(err.into()),
    }
    // Its own de-duplication id: the queue would drop the original's within its window.
    queue
        .enqueue_as(&dead.trigger, &format!("redrive_{}", dead.id))
        .await
        .map_err(|QueueError(why)| AppError::Internal(format!("the redriven trigger was not queued: {why}")))?;
    Ok(DeadLetter { redriven_at: Some(now), redriven_by: Some(principal.key_prefix.clone()), ..dead })
}

fn already_redriven(at: OffsetDateTime, by: &str) -> AppError {
    AppError::Conflict(format!("it was redriven already, at {} by the key {by}", crate::model::timestamp::format(at)))
}
