//! Outbound events: where they are recorded, and the HTTPS client that delivers them (and calls tools).

use async_trait::async_trait;

use crate::events::model::Event;
use crate::model::{EventId, WorkspaceId};
use crate::ports::StoreError;

#[async_trait]
pub trait EventStore: Send + Sync {
    async fn save_event(&self, event: &Event) -> Result<(), StoreError>;
    async fn get_event(&self, workspace_id: &WorkspaceId, event_id: &EventId) -> Result<Option<Event>, StoreError>;
}

/// A workspace's webhook answers within this, or the delivery is retried.
pub const EVENT_DELIVERY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// POSTs a signed event to a workspace's webhook.
#[async_trait]
pub trait EventDelivery: Send + Sync {
    /// The receiver's HTTP status, or why there was none.
    async fn post(&self, url: &str, headers: &[(&str, String)], body: String) -> Result<u16, String>;
    /// POSTs a tool call to a workspace's tool: the status and (the start of) the body, or why
    /// there was none (a time-out says so).
    async fn call_tool(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: String,
        timeout: std::time::Duration,
    ) -> Result<(u16, String), String>;
}
