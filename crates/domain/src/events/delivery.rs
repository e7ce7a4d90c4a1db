//! Delivering an event to its workspace's webhook, the delivery log, replays, and disabling a
//! webhook that keeps failing.
//!
//! Each try is written on the event (`delivery`: status, attempts, the last answer and when). A
//! failed try is retried by the queue with backoff; when the last try fails the event is
//! `failed` and counts against the webhook: after `DISABLE_AFTER_FAILURES` such deliveries in a
//! row the webhook is disabled (recorded on the workspace with why) and later events are `held`.
//! A delivery that succeeds resets the count.

use serde_json::json;
use time::OffsetDateTime;

use crate::events::model::{signature, Delivery, DeliveryStatus, Event, WebhookDisabled};
use crate::model::{EventId, Page, PageRequest, Principal, Workspace, WorkspaceId};
use crate::optimistic::Retries;
use crate::ports::{
    Attempt, Clock, DeliveryError, EventDelivery, EventStore, EventTrigger, StoreError, Trigger, TriggerQueue,
    WorkspaceStore,
};
use crate::AppError;

/// Deliveries failed in a row (each after all its tries) before the webhook is disabled.
pub const DISABLE_AFTER_FAILURES: u32 = 20;
/// A receiver's error text is kept this long at most.
const MAX_ERROR_CHARS: usize = 300;

/// The ports a delivery touches.
#[derive(Clone, Copy)]
pub struct DeliveryPorts<'a> {
    pub events: &'a dyn EventStore,
    /// Uncached: a delivery reads the webhook as it is now.
    pub workspaces: &'a dyn WorkspaceStore,
    pub http: &'a dyn EventDelivery,
    pub clock: &'a dyn Clock,
}

/// POSTs a stored event to the workspace's webhook and logs the try. `Err` means: retry later.
pub async fn deliver(
    ports: &DeliveryPorts<'_>,
    workspace_id: &WorkspaceId,
    event_id: &EventId,
    attempt: Attempt,
) -> Result<(), String> {
    let Some(event) = ports.events.get_event(workspace_id, event_id).await.map_err(|e| e.to_string())? else {
        return Ok(());
    };
    let Some(workspace) = ports.workspaces.get_workspace(workspace_id).await.map_err(|e| e.to_string())? else {
        return Ok(());
    };
    let Some((url, secret)) = workspace.live_webhook() else {
        // Disabled (or removed) since it was queued: kept for a replay.
        let held = Delivery { status: DeliveryStatus::Held, ..event.delivery.clone() };
        return save(ports, &event, &held).await;
    };
    let now = ports.clock.now();
    let body = body(&event);
    let answer = ports.http.post(url, &headers(&event, secret, now, &body), body).await;
    let mut delivery =
        Delivery { attempts: event.delivery.attempts + 1, last_attempt_at: Some(now), ..event.delivery.clone() };
    let failure = match &answer {
        Ok(status) if (200..300).contains(status) => None,
        Ok(status) => Some((Some(*status), format!("the webhook answered {status}"))),
        Err(DeliveryError::Refused(why)) => Some((None, format!("the URL {why}"))),
        Err(err) => Some((None, err.to_string())),
    };
    let Some((status_code, why)) = failure else {
        delivery.status = DeliveryStatus::Delivered;
        delivery.last_status_code = answer.ok();
        delivery.last_error = None;
        save(ports, &event, &delivery).await?;
        count_delivery(ports.workspaces, workspace, Counted::Delivered, now).await.map_err(|e| e.to_string())?;
        return Ok(());
    };
    delivery.last_status_code = status_code;
    delivery.last_error = Some(why.chars().take(MAX_ERROR_CHARS).collect());
    if !attempt.is_last() {
        save(ports, &event, &delivery).await?;
        return Err(why);
    }
    // The last try: the event is failed (a person may replay it), and the webhook is one failure
    // closer to being disabled. The trigger is done: nothing is gained by dead-lettering it.
    delivery.status = DeliveryStatus::Failed;
    save(ports, &event, &delivery).await?;
    let disabled =
        count_delivery(ports.workspaces, workspace, Counted::Failed(&why), now).await.map_err(|e| e.to_string())?;
    if let Some(disabled) = disabled {
        tracing::warn!(workspace = %workspace_id, "the webhook failed {DISABLE_AFTER_FAILURES} deliveries in a row; disabled");
        record_disabled(ports, workspace_id, &disabled, now).await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

async fn save(ports: &DeliveryPorts<'_>, event: &Event, delivery: &Delivery) -> Result<(), String> {
    ports.events.save_delivery(&event.workspace_id, &event.id, delivery).await.map_err(|e| e.to_string())
}

/// What a receiver is sent: the same for every try of an event (the delivery id is the event's).
fn body(event: &Event) -> String {
    json!({
        "id": event.id,
        "type": event.kind.as_str(),
        "workspaceId": event.workspace_id,
        "createdAt": crate::model::timestamp::format(event.created_at),
        "conversationId": event.conversation_id,
        "data": event.data,
    })
    .to_string()
}

fn headers(event: &Event, secret: &str, now: OffsetDateTime, body: &str) -> [(&'static str, String); 3] {
    [
        ("x-colloquy-delivery", event.id.to_string()),
        ("x-colloquy-event", event.kind.as_str().to_owned()),
        ("x-colloquy-signature", signature(secret, now.unix_timestamp(), body)),
    ]
}

enum Counted<'a> {
    Delivered,
    Failed(&'a str),
}

/// Attempts to count one delivery against the webhook.
const COUNT_ATTEMPTS: u32 = 20;

/// Counts a delivery against the webhook over the workspace's revision (`read` is the workspace
/// as the delivery read it; read again only after losing a race); the webhook's disabling when
/// this failure is the one that reaches the limit.
async fn count_delivery(
    workspaces: &dyn WorkspaceStore,
    read: Workspace,
    counted: Counted<'_>,
    now: OffsetDateTime,
) -> Result<Option<WebhookDisabled>, AppError> {
    // Every delivery of a burst counts against the same workspace at once (the worker runs five
    // groups together): a count that lost five races in a row under load would be lost, and the
    // webhook would be disabled late.
    let mut retries = Retries::with_attempts("the workspace", COUNT_ATTEMPTS);
    let workspace_id = read.id.clone();
    let mut first = Some(read);
    loop {
        retries.another().await?;
        let current = match first.take() {
            Some(read) => read,
            None => match workspaces.get_workspace(&workspace_id).await? {
                Some(current) => current,
                None => return Ok(None),
            },
        };
        let Some(url) = current.webhook_url.clone() else { return Ok(None) };
        let mut changed = Workspace { revision: current.revision + 1, ..current.clone() };
        let mut disabled = None;
        match counted {
            Counted::Delivered if current.webhook_failures == 0 => return Ok(None),
            Counted::Delivered => changed.webhook_failures = 0,
            Counted::Failed(why) => {
                changed.webhook_failures = current.webhook_failures.saturating_add(1);
                if changed.webhook_failures >= DISABLE_AFTER_FAILURES && current.webhook_disabled_at.is_none() {
                    let reason = format!(
                        "{DISABLE_AFTER_FAILURES} deliveries in a row failed; the last: {}",
                        why.chars().take(MAX_ERROR_CHARS).collect::<String>()
                    );
                    changed.webhook_disabled_at = Some(now);
                    changed.webhook_disabled_reason = Some(reason.clone());
                    disabled = Some(WebhookDisabled { webhook_url: url, reason });
                }
            }
        }
        match workspaces.save_workspace(&changed, current.revision).await {
            Ok(()) => return Ok(disabled),
            Err(StoreError::Conflict(_)) => continue,
            Err(err) => return Err(err.into()),
        }
    }
}

/// `webhook.disabled` goes to the delivery log, held: the webhook it is about gets nothing.
async fn record_disabled(
    ports: &DeliveryPorts<'_>,
    workspace_id: &WorkspaceId,
    disabled: &WebhookDisabled,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let data = serde_json::to_value(disabled).map_err(|err| AppError::Internal(err.to_string()))?;
    let event = Event {
        id: EventId::generate(),
        workspace_id: workspace_id.to_owned(),
        kind: crate::events::model::EventType::WebhookDisabled,
        conversation_id: None,
        data,
        created_at: now,
        delivery: Delivery { status: DeliveryStatus::Held, ..Delivery::default() },
    };
    Ok(ports.events.save_event(&event).await?)
}

/// The workspace's events and how their delivery went, newest first.
pub async fn list_deliveries(
    events: &dyn EventStore,
    principal: &Principal,
    page: &PageRequest,
) -> Result<Page<Event>, AppError> {
    Ok(events.list_events(&principal.workspace_id, page).await?)
}

/// Queues an event for delivery again, whatever its status, recorded with the key that asked.
/// The webhook must be set and enabled. A receiver that already had it sees the same delivery
/// id again, and should treat it as the one event.
pub async fn replay(
    events: &dyn EventStore,
    workspaces: &dyn WorkspaceStore,
    queue: &dyn TriggerQueue,
    clock: &dyn Clock,
    principal: &Principal,
    event_id: &EventId,
) -> Result<Event, AppError> {
    // Not an id this service made: nothing to look up (and no key DynamoDB would refuse).
    let found = match crate::model::ids::is_id(event_id) {
        true => events.get_event(&principal.workspace_id, event_id).await?,
        false => None,
    };
    let Some(event) = found else { return Err(AppError::not_found("event delivery")) };
    let workspace = crate::workspaces::current_workspace(workspaces, principal).await?;
    if workspace.webhook_url.is_none() {
        return Err(AppError::Conflict("the workspace has no webhook: set webhookUrl first".into()));
    }
    if workspace.live_webhook().is_none() {
        let why = workspace.webhook_disabled_reason.unwrap_or_default();
        return Err(AppError::Conflict(format!(
            "the webhook is disabled ({why}): enable it with PATCH /api/v1/workspace/ {{\"webhookEnabled\": true}} first"
        )));
    }
    let delivery = Delivery {
        status: DeliveryStatus::Pending,
        replayed_at: Some(clock.now()),
        replayed_by: Some(principal.key_prefix.clone()),
        ..event.delivery.clone()
    };
    events.save_delivery(&principal.workspace_id, event_id, &delivery).await?;
    let trigger = Trigger::Event(EventTrigger { id: event.id.clone(), workspace_id: principal.workspace_id.clone() });
    // Its own de-duplication id: the queue would drop the first delivery's (or an earlier
    // replay's) within its five-minute window.
    let deduplication = format!("replay_{}_{}", event.id, delivery.attempts);
    queue
        .enqueue_as(&trigger, &deduplication)
        .await
        .map_err(|err| AppError::Internal(format!("the replay was not queued: {err}")))?;
    Ok(Event { delivery, ..event })
}
