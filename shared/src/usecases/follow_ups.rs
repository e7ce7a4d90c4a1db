//! The scheduler side of follow-ups: find conversations whose follow-up is due and queue one
//! trigger each, so that overlapping or repeated runs stay harmless.

use time::{Duration, OffsetDateTime};

use crate::adapters::dynamo::keys::FOLLOW_UP_SHARDS;
use crate::ports::{Trigger, TriggerKind};
use crate::{App, AppError};

/// A queued follow-up is hidden from the index this long; the worker sets the real next due time.
pub const LEASE: Duration = Duration::minutes(15);
const PER_SHARD: u32 = 200;

/// The trigger id is the queue's de-duplication id: one per conversation and attempt.
pub fn trigger_id(conversation_id: &str, attempt: u32) -> String {
    format!("followup_{conversation_id}_{attempt}")
}

/// Queues every due follow-up; returns how many were queued.
pub async fn queue_due(app: &App, now: OffsetDateTime) -> Result<usize, AppError> {
    let mut queued = 0;
    for shard in 0..FOLLOW_UP_SHARDS {
        for due in app.store.due_follow_ups(shard, now, PER_SHARD).await? {
            // Only the run that moves the due time queues it.
            if !app.store.lease_follow_up(&due, now + LEASE).await? {
                continue;
            }
            let trigger = Trigger {
                id: trigger_id(&due.conversation_id, due.attempt),
                workspace_id: due.workspace_id.clone(),
                conversation_id: due.conversation_id.clone(),
                kind: TriggerKind::FollowUp,
                attempt: Some(due.attempt),
            };
            app.queue.enqueue(&trigger).await.map_err(|err| AppError::Internal(err.to_string()))?;
            queued += 1;
        }
    }
    if queued > 0 {
        tracing::info!(queued, "follow-ups queued");
    }
    Ok(queued)
}
