//! The scheduler side of follow-ups: one trigger per due follow-up (`due_work` finds and leases
//! them, so overlapping or repeated runs stay harmless).

use crate::model::ConversationId;
use crate::ports::{DueFollowUp, FollowUpTrigger, QueueError, Trigger, TriggerQueue, Turn};

/// The trigger id is the queue's de-duplication id: one per conversation and attempt.
pub fn trigger_id(conversation_id: &ConversationId, attempt: u32) -> String {
    format!("followup_{conversation_id}_{attempt}")
}

/// The scheduler found the follow-up due (and leased it): queue it.
pub async fn queue(queue: &dyn TriggerQueue, due: &DueFollowUp) -> Result<(), QueueError> {
    let trigger = Trigger::FollowUp(FollowUpTrigger {
        turn: Turn {
            id: trigger_id(&due.conversation_id, due.attempt),
            workspace_id: due.workspace_id.clone(),
            conversation_id: due.conversation_id.clone(),
        },
        attempt: due.attempt,
    });
    queue.enqueue(&trigger).await
}
