//! A delivery on fakes: what each answer does to the event's log line and to the webhook's count.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use serde_json::json;
use time::OffsetDateTime;

use super::delivery::{deliver, replay, DeliveryPorts, DISABLE_AFTER_FAILURES};
use crate::events::model::{Delivery, DeliveryStatus, Event, EventType};
use crate::model::{ApiKey, EventId, Page, PageRequest, Principal, Role, Workspace, WorkspaceId};
use crate::ports::{
    Attempt, Clock, DeliveryError, EventDelivery, EventStore, QueueError, StoreError, Trigger, TriggerQueue,
    WorkspaceStore,
};

const NOW: OffsetDateTime = time::macros::datetime!(2026-12-02 12:00 UTC);

/// A POST as the receiver got it: URL, headers, body.
type Post = (String, Vec<(String, String)>, String);

struct World {
    events: Mutex<HashMap<EventId, Event>>,
    workspace: Mutex<Workspace>,
    answer: Result<u16, DeliveryError>,
    posts: Mutex<Vec<Post>>,
    queued: Mutex<Vec<(Trigger, String)>>,
}

impl World {
    fn new(answer: Result<u16, DeliveryError>, failures: u32) -> Self {
        let mut workspace = Workspace::new("Acme".into(), NOW);
        workspace.webhook_url = Some("https://hooks.example.com/in".into());
        workspace.webhook_secret = Some("whsec_1".into());
        workspace.webhook_failures = failures;
        let workspace = Mutex::new(workspace);
        Self { events: Mutex::default(), workspace, answer, posts: Mutex::default(), queued: Mutex::default() }
    }

    fn workspace(&self) -> Workspace {
        self.workspace.lock().map(|w| w.clone()).unwrap_or_else(|e| e.into_inner().clone())
    }

    fn event(&self) -> EventId {
        let event = Event {
            id: EventId::generate(),
            workspace_id: self.workspace().id,
            kind: EventType::MessageSent,
            conversation_id: None,
            data: json!({"text": "hello"}),
            created_at: NOW,
            delivery: Delivery::default(),
        };
        let id = event.id.clone();
        if let Ok(mut events) = self.events.lock() {
            events.insert(id.clone(), event);
        }
        id
    }

    fn stored(&self, id: &EventId) -> Option<Event> {
        self.events.lock().ok()?.get(id).cloned()
    }

    fn held_of(&self, kind: EventType) -> Vec<Event> {
        let events = self.events.lock().map(|e| e.values().cloned().collect::<Vec<_>>()).unwrap_or_default();
        events.into_iter().filter(|e| e.kind == kind && e.delivery.status == DeliveryStatus::Held).collect()
    }

    fn posts(&self) -> usize {
        self.posts.lock().map(|p| p.len()).unwrap_or(0)
    }

    fn ports(&self) -> DeliveryPorts<'_> {
        DeliveryPorts { events: self, workspaces: self, http: self, clock: self }
    }

    async fn deliver(&self, id: &EventId, receive: u32) -> Result<(), String> {
        deliver(&self.ports(), &self.workspace().id, id, Attempt::receive(receive)).await
    }
}

impl Clock for World {
    fn now(&self) -> OffsetDateTime {
        NOW
    }
}

#[async_trait]
impl EventStore for World {
    async fn save_event(&self, event: &Event) -> Result<(), StoreError> {
        self.events
            .lock()
            .map_err(|_| StoreError::Unavailable("poisoned".into()))?
            .insert(event.id.clone(), event.clone());
        Ok(())
    }
    async fn get_event(&self, _: &WorkspaceId, id: &EventId) -> Result<Option<Event>, StoreError> {
        Ok(self.stored(id))
    }
    async fn list_events(&self, _: &WorkspaceId, _: &PageRequest) -> Result<Page<Event>, StoreError> {
        Err(StoreError::Unavailable("not used".into()))
    }
    async fn save_delivery(&self, _: &WorkspaceId, id: &EventId, delivery: &Delivery) -> Result<(), StoreError> {
        let mut events = self.events.lock().map_err(|_| StoreError::Unavailable("poisoned".into()))?;
        let event = events.get_mut(id).ok_or_else(|| StoreError::Conflict("gone".into()))?;
        event.delivery = delivery.clone();
        Ok(())
    }
}

#[async_trait]
impl WorkspaceStore for World {
    async fn create_workspace(&self, _: &Workspace, _: &ApiKey, _: &str) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("not used".into()))
    }
    async fn get_workspace(&self, _: &WorkspaceId) -> Result<Option<Workspace>, StoreError> {
        Ok(Some(self.workspace()))
    }
    async fn save_workspace(&self, workspace: &Workspace, expected: u64) -> Result<(), StoreError> {
        let mut stored = self.workspace.lock().map_err(|_| StoreError::Unavailable("poisoned".into()))?;
        if stored.revision != expected {
            return Err(StoreError::Conflict("revision".into()));
        }
        assert_eq!(workspace.revision, expected + 1, "a write bumps the revision");
        *stored = workspace.clone();
        Ok(())
    }
}

#[async_trait]
impl TriggerQueue for World {
    async fn enqueue(&self, _: &Trigger) -> Result<(), QueueError> {
        Err(QueueError("not used".into()))
    }
    async fn enqueue_as(&self, trigger: &Trigger, deduplication_id: &str) -> Result<(), QueueError> {
        if let Ok(mut queued) = self.queued.lock() {
            queued.push((trigger.clone(), deduplication_id.to_owned()));
        }
        Ok(())
    }
    async fn retry_later(&self, _: &str, _: std::time::Duration) -> Result<(), QueueError> {
        Err(QueueError("not used".into()))
    }
}

#[async_trait]
impl EventDelivery for World {
    async fn post(&self, url: &str, headers: &[(&str, String)], body: String) -> Result<u16, DeliveryError> {
        let headers = headers.iter().map(|(n, v)| ((*n).to_owned(), v.clone())).collect();
        if let Ok(mut posts) = self.posts.lock() {
            posts.push((url.to_owned(), headers, body));
        }
        self.answer.clone()
    }
    async fn call_tool(
        &self,
        _: &str,
        _: &[(&str, String)],
        _: String,
        _: std::time::Duration,
    ) -> Result<(u16, String), DeliveryError> {
        Err(DeliveryError::Failed("not used".into()))
    }
}

#[tokio::test]
async fn a_2xx_answer_delivers_and_forgets_earlier_failures() {
    for status in [200, 204, 299] {
        let world = World::new(Ok(status), 7);
        let id = world.event();
        assert_eq!(world.deliver(&id, 1).await, Ok(()));
        let delivery = world.stored(&id).map(|e| e.delivery).unwrap_or_default();
        assert_eq!(
            (delivery.status, delivery.attempts, delivery.last_status_code, delivery.last_attempt_at),
            (DeliveryStatus::Delivered, 1, Some(status), Some(NOW))
        );
        assert_eq!(delivery.last_error, None);
        let workspace = world.workspace();
        assert_eq!((workspace.webhook_failures, workspace.revision), (0, 1), "one delivered resets the count");
    }
}

#[tokio::test]
async fn a_delivery_with_no_failures_before_it_writes_nothing_to_the_workspace() {
    let world = World::new(Ok(200), 0);
    let id = world.event();
    assert_eq!(world.deliver(&id, 1).await, Ok(()));
    assert_eq!(world.workspace().revision, 0);
}

#[tokio::test]
async fn a_replay_queues_the_event_again_recorded_with_who_asked() {
    let world = World::new(Ok(500), 0);
    let id = world.event();
    assert_eq!(world.deliver(&id, Attempt::MAX_RECEIVES).await, Ok(()));
    let principal = Principal { workspace_id: world.workspace().id, role: Role::Admin, key_prefix: "clq_ops".into() };
    let replayed = replay(&world, &world, &world, &world, &principal, &id).await.map(|e| e.delivery);
    let expected = Delivery {
        status: DeliveryStatus::Pending,
        attempts: 1,
        last_status_code: Some(500),
        last_error: Some("the webhook answered 500".into()),
        last_attempt_at: Some(NOW),
        replayed_at: Some(NOW),
        replayed_by: Some("clq_ops".into()),
    };
    assert_eq!(replayed.ok().as_ref(), Some(&expected));
    assert_eq!(world.stored(&id).map(|e| e.delivery), Some(expected), "stored as answered");
    let queued = world.queued.lock().map(|q| q.clone()).unwrap_or_default();
    assert_eq!(queued.len(), 1);
    assert_eq!((queued[0].0.id(), queued[0].1.as_str()), (id.as_str(), format!("replay_{id}_1").as_str()));
}

#[tokio::test]
async fn the_post_is_signed_and_names_the_delivery() {
    let world = World::new(Ok(204), 0);
    let id = world.event();
    assert_eq!(world.deliver(&id, 1).await, Ok(()));
    let posts = world.posts.lock().map(|p| p.clone()).unwrap_or_default();
    let (url, headers, body) = posts.first().cloned().unwrap_or_default();
    assert_eq!(url, "https://hooks.example.com/in");
    let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap_or_default();
    assert_eq!(header("x-colloquy-delivery"), id.to_string());
    assert_eq!(header("x-colloquy-event"), "message.sent");
    let signed = crate::events::model::signature("whsec_1", NOW.unix_timestamp(), &body);
    assert_eq!(header("x-colloquy-signature"), signed);
    let body: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    assert_eq!(
        (&body["id"], &body["type"], &body["data"]["text"]),
        (&json!(id), &json!("message.sent"), &json!("hello"))
    );
    assert_eq!(body["workspaceId"], json!(world.workspace().id));
}

#[tokio::test]
async fn a_failed_try_is_logged_and_retried_without_counting_against_the_webhook() {
    for answer in [Ok(199), Ok(300), Ok(500), Err(DeliveryError::Failed("connection refused".into()))] {
        let world = World::new(answer.clone(), 3);
        let id = world.event();
        let result = world.deliver(&id, Attempt::MAX_RECEIVES - 1).await;
        assert!(result.is_err(), "{answer:?}: the queue tries again");
        let delivery = world.stored(&id).map(|e| e.delivery).unwrap_or_default();
        assert_eq!((delivery.status, delivery.attempts), (DeliveryStatus::Pending, 1), "{answer:?}");
        assert_eq!(delivery.last_status_code, answer.clone().ok(), "{answer:?}");
        assert!(delivery.last_error.is_some(), "{answer:?}");
        assert_eq!(world.workspace().webhook_failures, 3, "{answer:?}: not a failed delivery yet");
    }
}

#[tokio::test]
async fn the_last_failed_try_fails_the_delivery_and_counts_it() {
    let world = World::new(Err(DeliveryError::Refused("points at a private address".into())), 3);
    let id = world.event();
    assert_eq!(world.deliver(&id, Attempt::MAX_RECEIVES).await, Ok(()), "the trigger is done");
    let delivery = world.stored(&id).map(|e| e.delivery).unwrap_or_default();
    assert_eq!((delivery.status, delivery.last_status_code), (DeliveryStatus::Failed, None));
    assert_eq!(delivery.last_error.as_deref(), Some("the URL points at a private address"));
    let workspace = world.workspace();
    assert_eq!((workspace.webhook_failures, workspace.webhook_disabled_at), (4, None));
    assert!(world.held_of(EventType::WebhookDisabled).is_empty());
}

#[tokio::test]
async fn the_twentieth_failed_delivery_in_a_row_disables_the_webhook() {
    let world = World::new(Ok(502), DISABLE_AFTER_FAILURES - 1);
    let id = world.event();
    assert_eq!(world.deliver(&id, Attempt::MAX_RECEIVES).await, Ok(()));
    let workspace = world.workspace();
    assert_eq!((workspace.webhook_failures, workspace.webhook_disabled_at), (DISABLE_AFTER_FAILURES, Some(NOW)));
    let reason = workspace.webhook_disabled_reason.unwrap_or_default();
    assert_eq!(reason, "20 deliveries in a row failed; the last: the webhook answered 502");
    let announced = world.held_of(EventType::WebhookDisabled);
    assert_eq!(announced.len(), 1, "recorded, held: the webhook it is about gets nothing");
    assert_eq!(announced[0].data["reason"], json!(reason));

    // Disabled: the next event is held and nothing is POSTed.
    let posts = world.posts();
    let next = world.event();
    assert_eq!(world.deliver(&next, 1).await, Ok(()));
    let held = world.stored(&next).map(|e| e.delivery).unwrap_or_default();
    assert_eq!((held.status, held.attempts), (DeliveryStatus::Held, 0));
    assert_eq!(world.posts(), posts);
}

#[tokio::test]
async fn a_count_past_the_limit_disables_too() {
    let world = World::new(Ok(500), DISABLE_AFTER_FAILURES + 4);
    let id = world.event();
    // Over the limit without being disabled (a person enabled it and failures went on):
    assert_eq!(world.deliver(&id, Attempt::MAX_RECEIVES).await, Ok(()));
    assert_eq!(world.workspace().webhook_disabled_at, Some(NOW), "past the limit disables too");
    assert_eq!(world.held_of(EventType::WebhookDisabled).len(), 1);
}
