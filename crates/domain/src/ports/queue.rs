//! The trigger queue between the webhook, the API, the scheduler and the worker.

use async_trait::async_trait;

use super::Trigger;

#[derive(Debug, thiserror::Error)]
#[error("queue unavailable: {0}")]
pub struct QueueError(pub String);

#[async_trait]
pub trait TriggerQueue: Send + Sync {
    /// Enqueues in the trigger's conversation group, so one conversation is handled in order and
    /// never twice at once.
    async fn enqueue(&self, trigger: &Trigger) -> Result<(), QueueError>;
    /// Enqueues with another de-duplication id than the trigger's own (a redrive, which the
    /// queue would otherwise drop as the original's duplicate).
    async fn enqueue_as(&self, trigger: &Trigger, deduplication_id: &str) -> Result<(), QueueError>;
    /// Hides a received trigger for `after` before it is delivered again (backoff on failure).
    async fn retry_later(&self, receipt_handle: &str, after: std::time::Duration) -> Result<(), QueueError>;
}
