//! The SQS FIFO worker: each record is a trigger for one conversation. Failures are reported
//! per record (partial batch response); after a failure, the rest of that conversation's
//! records in the batch fail too, so that its order holds. A failed record is hidden for a
//! growing time (10 s, 20 s, 40 s… by its receive count) before the queue delivers it again.

use std::collections::HashSet;
use std::time::Duration;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use colloquy::ports::Trigger;
use colloquy::usecases::reply::{self, AgentCache};
use colloquy::App;

/// What the worker keeps between invocations of one container.
pub struct Worker {
    pub app: App,
    pub cache: AgentCache,
}

impl Worker {
    pub fn new(app: App) -> Self {
        Self { app, cache: AgentCache::default() }
    }
}

/// 10 s after the first receive, doubling each time, at most 15 minutes.
pub fn backoff(receive_count: u32) -> Duration {
    let doublings = receive_count.saturating_sub(1).min(10);
    Duration::from_secs((10u64 << doublings).min(900))
}

async fn retry_later(worker: &Worker, record: &SqsMessage) {
    let receives = record.attributes.get("ApproximateReceiveCount").and_then(|n| n.parse().ok()).unwrap_or(1);
    let Some(receipt) = record.receipt_handle.as_deref() else { return };
    if let Err(err) = worker.app.queue.retry_later(receipt, backoff(receives)).await {
        tracing::warn!(error = %err, "could not delay the retry; the queue's visibility timeout applies");
    }
}

fn group_of(record: &SqsMessage) -> String {
    record.attributes.get("MessageGroupId").cloned().unwrap_or_default()
}

pub async fn handle(worker: &Worker, event: SqsEvent) -> SqsBatchResponse {
    let mut failed_groups = HashSet::new();
    let mut response = SqsBatchResponse::default();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let group = group_of(&record);
        let succeeded = if failed_groups.contains(&group) { false } else { process(worker, &record).await };
        if !succeeded {
            retry_later(worker, &record).await;
            failed_groups.insert(group);
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
    }
    response
}

async fn process(worker: &Worker, record: &SqsMessage) -> bool {
    let body = record.body.as_deref().unwrap_or_default();
    let trigger: Trigger = match serde_json::from_str(body) {
        Ok(trigger) => trigger,
        Err(err) => {
            // Retrying cannot fix it; dropping keeps the conversation moving.
            tracing::error!(error = %err, message = ?record.message_id, "trigger is not readable; dropped");
            return true;
        }
    };
    match reply::process(&worker.app, &worker.cache, &trigger).await {
        Ok(()) => true,
        Err(err) => {
            tracing::warn!(error = %err, conversation = %trigger.conversation_id, trigger = %trigger.id, "trigger failed; the queue will redeliver it");
            false
        }
    }
}
