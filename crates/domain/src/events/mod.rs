//! Outbound events: stored, then queued, then POSTed — signed — by the worker, outside the
//! request path; a receiver that fails is retried by the queue with backoff, five times. Each
//! event's delivery is logged on it (`delivery`), a person may replay one, and a webhook that
//! fails 20 deliveries in a row is disabled until the workspace changes or enables it.

pub mod delivery;
#[cfg(test)]
mod delivery_tests;
pub mod model;
pub mod port;

use serde_json::Value;

pub use delivery::{deliver, list_deliveries, replay, DeliveryPorts, DISABLE_AFTER_FAILURES};

use crate::events::model::{Delivery, DeliveryStatus, Event, EventData, EventType};
use crate::model::{ConversationId, EventId, WorkspaceId};
use crate::ports::{Clock, EventStore, EventTrigger, Trigger, TriggerQueue, WorkspaceStore};
use crate::AppError;

/// Where events are recorded (when the workspace has a webhook) and queued for delivery.
#[derive(Clone, Copy)]
pub struct EventPorts<'a> {
    /// Cached: whether the workspace has a webhook is read for every event.
    pub workspaces: &'a dyn WorkspaceStore,
    pub events: &'a dyn EventStore,
    pub queue: &'a dyn TriggerQueue,
    pub clock: &'a dyn Clock,
}

/// Records and queues an event when the workspace has a webhook; does nothing otherwise. While
/// the webhook is disabled the event is recorded as `held` and not queued: a person may replay
/// it once the webhook is back.
pub async fn emit(
    ports: &EventPorts<'_>,
    workspace_id: &WorkspaceId,
    kind: EventType,
    conversation_id: &ConversationId,
    data: Value,
) -> Result<(), AppError> {
    record_and_queue(ports, workspace_id, kind, Some(conversation_id), data).await
}

async fn record_and_queue(
    ports: &EventPorts<'_>,
    workspace_id: &WorkspaceId,
    kind: EventType,
    conversation_id: Option<&ConversationId>,
    data: Value,
) -> Result<(), AppError> {
    let Some(workspace) = ports.workspaces.get_workspace(workspace_id).await? else { return Ok(()) };
    if workspace.webhook_url.is_none() {
        return Ok(());
    }
    let live = workspace.live_webhook().is_some();
    let status = if live { DeliveryStatus::Pending } else { DeliveryStatus::Held };
    let event = Event {
        id: EventId::generate(),
        workspace_id: workspace_id.to_owned(),
        kind,
        conversation_id: conversation_id.cloned(),
        data,
        created_at: ports.clock.now(),
        delivery: Delivery { status, ..Delivery::default() },
    };
    ports.events.save_event(&event).await?;
    if !live {
        return Ok(());
    }
    let trigger = Trigger::Event(EventTrigger { id: event.id.clone(), workspace_id: workspace_id.to_owned() });
    ports.queue.enqueue(&trigger).await.map_err(|err| AppError::Internal(err.to_string()))
}

/// Emits, logging instead of failing: an event must never undo the work it reports.
pub async fn emit_quietly<D: EventData>(
    ports: &EventPorts<'_>,
    workspace_id: &WorkspaceId,
    conversation_id: &ConversationId,
    data: &D,
) {
    quietly(ports, workspace_id, Some(conversation_id), data).await;
}

/// Like `emit_quietly`, for an event about the workspace rather than one conversation.
pub async fn emit_about_workspace<D: EventData>(ports: &EventPorts<'_>, workspace_id: &WorkspaceId, data: &D) {
    quietly(ports, workspace_id, None, data).await;
}

async fn quietly<D: EventData>(
    ports: &EventPorts<'_>,
    workspace_id: &WorkspaceId,
    conversation_id: Option<&ConversationId>,
    data: &D,
) {
    let emitted = match serde_json::to_value(data) {
        Ok(data) => record_and_queue(ports, workspace_id, D::TYPE, conversation_id, data).await,
        Err(err) => Err(AppError::Internal(format!("event data did not serialise: {err}"))),
    };
    if let Err(err) = emitted {
        tracing::warn!(error = %err, event = D::TYPE.as_str(), "event not recorded");
    }
}
