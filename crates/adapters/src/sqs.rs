//! The trigger queue on SQS FIFO.

use async_trait::async_trait;
use aws_sdk_sqs::error::DisplayErrorContext;

use crate::ports::{QueueError, Trigger, TriggerQueue};

#[derive(Clone)]
pub struct SqsTriggerQueue {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

impl SqsTriggerQueue {
    pub fn new(client: aws_sdk_sqs::Client, queue_url: impl Into<String>) -> Self {
        Self { client, queue_url: queue_url.into() }
    }
}

#[async_trait]
impl TriggerQueue for SqsTriggerQueue {
    async fn enqueue(&self, trigger: &Trigger) -> Result<(), QueueError> {
        self.enqueue_as(trigger, trigger.id()).await
    }

    async fn enqueue_as(&self, trigger: &Trigger, deduplication_id: &str) -> Result<(), QueueError> {
        let body = serde_json::to_string(trigger).map_err(|err| QueueError(err.to_string()))?;
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .message_group_id(trigger.group())
            .message_deduplication_id(dedup_id(deduplication_id))
            .send()
            .await
            .map_err(|err| QueueError(DisplayErrorContext(err).to_string()))?;
        Ok(())
    }

    async fn retry_later(&self, receipt_handle: &str, after: std::time::Duration) -> Result<(), QueueError> {
        let seconds = i32::try_from(after.as_secs()).unwrap_or(i32::MAX).min(MAX_VISIBILITY_SECONDS);
        self.client
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt_handle)
            .visibility_timeout(seconds)
            .send()
            .await
            .map_err(|err| QueueError(DisplayErrorContext(err).to_string()))?;
        Ok(())
    }
}

/// SQS's ceiling for a message's visibility timeout (12 hours).
const MAX_VISIBILITY_SECONDS: i32 = 43_200;

/// SQS allows at most 128 characters from a limited alphabet; longer or odd ids are hashed.
fn dedup_id(trigger_id: &str) -> String {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".contains(c);
    if trigger_id.len() <= 128 && trigger_id.chars().all(allowed) {
        trigger_id.to_owned()
    } else {
        crate::model::ids::sha256_hex(trigger_id)
    }
}

#[cfg(test)]
mod tests {
    use super::dedup_id;

    #[test]
    fn dedup_id_fits_sqs_limits() {
        assert_eq!(dedup_id("wamid.HBgL=="), "wamid.HBgL==");
        let long = "x".repeat(200);
        assert_eq!(dedup_id(&long).len(), 64);
        assert_eq!(dedup_id("with space").len(), 64);
    }
}
