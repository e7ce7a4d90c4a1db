//! Outbound events: stored, then queued, then POSTed — signed — by the worker, outside the
//! request path; a receiver that fails is retried by the queue with backoff, five times.

pub mod model;
pub mod port;

use serde_json::{json, Value};

use crate::events::model::{signature, Event, EventData, EventType};
use crate::model::{ConversationId, EventId, WorkspaceId};
use crate::ports::{Clock, EventDelivery, EventStore, EventTrigger, Trigger, TriggerQueue, WorkspaceStore};
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

/// Records and queues an event when the workspace has a webhook; does nothing otherwise.
pub async fn emit(
    ports: &EventPorts<'_>,
    workspace_id: &WorkspaceId,
    kind: EventType,
    conversation_id: &ConversationId,
    data: Value,
) -> Result<(), AppError> {
    let Some(workspace) = ports.workspaces.get_workspace(workspace_id).await? else { return Ok(()) };
    if workspace.webhook_url.is_none() {
        return Ok(());
    }
    let event = Event {
        id: EventId::generate(),
        workspace_id: workspace_id.to_owned(),
        kind,
        conversation_id: conversation_id.to_owned(),
        data,
        created_at: ports.clock.now(),
    };
    ports.events.save_event(&event).await?;
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
    let emitted = match serde_json::to_value(data) {
        Ok(data) => emit(ports, workspace_id, D::TYPE, conversation_id, data).await,
        Err(err) => Err(AppError::Internal(format!("event data did not serialise: {err}"))),
    };
    if let Err(err) = emitted {
        tracing::warn!(error = %err, event = D::TYPE.as_str(), "event not recorded");
    }
}

/// POSTs a stored event to the workspace's webhook. `Err` means: retry later.
pub async fn deliver(
    events: &dyn EventStore,
    workspaces: &dyn WorkspaceStore,
    delivery: &dyn EventDelivery,
    clock: &dyn Clock,
    workspace_id: &WorkspaceId,
    event_id: &EventId,
) -> Result<(), String> {
    let event = events.get_event(workspace_id, event_id).await.map_err(|e| e.to_string())?;
    let Some(event) = event else { return Ok(()) };
    let workspace = workspaces.get_workspace(workspace_id).await.map_err(|e| e.to_string())?;
    let (Some(url), Some(secret)) = workspace.map(|w| (w.webhook_url, w.webhook_secret)).unwrap_or_default() else {
        return Ok(());
    };
    let body = json!({
        "id": event.id,
        "type": event.kind.as_str(),
        "createdAt": crate::model::timestamp::format(event.created_at),
        "conversationId": event.conversation_id,
        "data": event.data,
    })
    .to_string();
    let timestamp = clock.now().unix_timestamp();
    let headers = [
        ("x-colloquy-delivery", event.id.to_string()),
        ("x-colloquy-event", event.kind.as_str().to_owned()),
        ("x-colloquy-signature", signature(&secret, timestamp, &body)),
    ];
    match delivery.post(&url, &headers, body).await {
        Ok(status) if (200..300).contains(&status) => Ok(()),
        Ok(status) => Err(format!("the webhook answered {status}")),
        Err(err) => Err(err.to_string()),
    }
}
