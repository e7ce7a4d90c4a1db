//! Outbound events: where they are recorded, and the HTTPS client that delivers them (and calls tools).

use async_trait::async_trait;

use crate::events::model::{Delivery, Event};
use crate::model::{EventId, Page, PageRequest, WorkspaceId};
use crate::ports::StoreError;

/// Events are kept a week: the delivery log's reach.
#[async_trait]
pub trait EventStore: Send + Sync {
    async fn save_event(&self, event: &Event) -> Result<(), StoreError>;
    async fn get_event(&self, workspace_id: &WorkspaceId, event_id: &EventId) -> Result<Option<Event>, StoreError>;
    /// The workspace's events, newest first.
    async fn list_events(&self, workspace_id: &WorkspaceId, page: &PageRequest) -> Result<Page<Event>, StoreError>;
    /// Replaces how the event's delivery stands; `Conflict` when the event is gone.
    async fn save_delivery(
        &self,
        workspace_id: &WorkspaceId,
        event_id: &EventId,
        delivery: &Delivery,
    ) -> Result<(), StoreError>;
}

/// A workspace's webhook answers within this, or the delivery is retried.
pub const EVENT_DELIVERY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Why a POST to a workspace's address got no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// The address is not one the deployment's rules allow (checked again at every call: the
    /// rules may have changed since it was stored).
    #[error("the URL {0}")]
    Refused(String),
    #[error("no answer within {} s", .0.as_secs())]
    TimedOut(std::time::Duration),
    /// No connection, a TLS or protocol failure.
    #[error("{0}")]
    Failed(String),
}

/// POSTs a signed event to a workspace's webhook.
#[async_trait]
pub trait EventDelivery: Send + Sync {
    /// The receiver's HTTP status, or why there was none.
    async fn post(&self, url: &str, headers: &[(&str, String)], body: String) -> Result<u16, DeliveryError>;
    /// POSTs a tool call to a workspace's tool: the status and (the start of) the body, or why
    /// there was none.
    async fn call_tool(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: String,
        timeout: std::time::Duration,
    ) -> Result<(u16, String), DeliveryError>;
}
