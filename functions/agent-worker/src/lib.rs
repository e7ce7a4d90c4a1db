//! The SQS FIFO worker: each record is a trigger for one conversation. Failures are reported
//! per record (partial batch response); after a failure, the rest of that conversation's
//! records in the batch fail too, so that its order holds.

use std::collections::HashSet;

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
