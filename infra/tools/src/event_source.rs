//! Feeds the worker from the queue the way Lambda's SQS event source does: batches of up to
//! ten, partial batch failures, successes deleted, failures left for redelivery (sooner than
//! the template's visibility timeout, so a person or a test need not wait minutes).

use std::collections::HashMap;

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use colloquy_functions::worker::{Deadline, SqsConsumer};

fn error_text(err: impl std::error::Error) -> String {
    aws_sdk_sqs::error::DisplayErrorContext(err).to_string()
}

pub struct LocalEventSource {
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    queue_arn: String,
    /// Seconds before a failed record is received again; `None` leaves it to the worker, which
    /// sets each failed record's visibility itself (backoff, deferral), as on Lambda.
    pub retry_after_seconds: Option<i32>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Polled {
    pub received: usize,
    pub failed: usize,
}

impl LocalEventSource {
    pub async fn new(sqs: aws_sdk_sqs::Client, queue_url: &str, retry_after_seconds: i32) -> Result<Self, String> {
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(queue_url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(|err| format!("cannot read the queue's ARN: {err}"))?;
        let queue_arn =
            attributes.attributes.and_then(|mut a| a.remove(&QueueAttributeName::QueueArn)).unwrap_or_default();
        Ok(Self { sqs, queue_url: queue_url.to_owned(), queue_arn, retry_after_seconds: Some(retry_after_seconds) })
    }

    /// Failed records come back when the worker said (its backoff, its deferrals), as on Lambda.
    pub fn honouring_the_worker(mut self) -> Self {
        self.retry_after_seconds = None;
        self
    }

    /// Receives a batch and drops it, as an invocation that timed out would: nothing is deleted
    /// or failed, and its records come back when `visibility_seconds` (standing in for the
    /// queue's visibility timeout) has passed. How many it held.
    pub async fn abandon_a_batch(&self, visibility_seconds: i32) -> Result<usize, String> {
        let received = self
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(10)
            .visibility_timeout(visibility_seconds)
            .send()
            .await
            .map_err(|err| format!("cannot receive from the queue: {err}"))?;
        Ok(received.messages.map_or(0, |messages| messages.len()))
    }

    /// One receive, as the SQS event Lambda would hand the worker, with each record's receipt handle.
    pub async fn receive(&self) -> Result<(SqsEvent, HashMap<String, String>), String> {
        let received = self
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(10)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .map_err(|err| format!("cannot receive from the queue: {err}"))?;
        let messages = received.messages.unwrap_or_default();
        let mut handles = HashMap::new();
        let mut event = SqsEvent::default();
        for message in messages {
            let mut record = SqsMessage::default();
            record.message_id = message.message_id.clone();
            record.receipt_handle = message.receipt_handle.clone();
            record.body = message.body.clone();
            record.attributes =
                message.attributes.unwrap_or_default().into_iter().map(|(k, v)| (k.as_str().to_owned(), v)).collect();
            record.event_source = Some("aws:sqs".into());
            record.event_source_arn = Some(self.queue_arn.clone());
            record.aws_region = Some("us-east-1".into());
            handles.insert(message.message_id.unwrap_or_default(), message.receipt_handle.unwrap_or_default());
            event.records.push(record);
        }
        Ok((event, handles))
    }

    /// One receive, one invocation of the worker, and the deletes and retries it asks for.
    pub async fn poll_once(&self, worker: &impl SqsConsumer) -> Result<Polled, String> {
        self.poll_within(worker, Deadline::NONE).await
    }

    /// Like `poll_once`, for an invocation that ends at `deadline`.
    pub async fn poll_within(&self, worker: &impl SqsConsumer, deadline: Deadline) -> Result<Polled, String> {
        let (event, handles) = self.receive().await?;
        if event.records.is_empty() {
            return Ok(Polled::default());
        }
        let count = event.records.len();
        let response = worker.consume(event, deadline).await;
        let failed: Vec<String> = response.batch_item_failures.into_iter().map(|f| f.item_identifier).collect();
        // Each message is settled on its own: one that cannot be must not leave the others in
        // flight until the queue's visibility timeout.
        let mut unsettled = Vec::new();
        for (id, handle) in &handles {
            let settled = if failed.contains(id) {
                let Some(retry_after) = self.retry_after_seconds else { continue };
                let retry = self.sqs.change_message_visibility().queue_url(&self.queue_url).receipt_handle(handle);
                match retry.visibility_timeout(retry_after).send().await {
                    // The worker made it visible again itself (a deferral), and another poll has
                    // it now: it comes back as the worker asked, which is what a retry wants.
                    Err(err) if err.as_service_error().is_some_and(|e| e.is_receipt_handle_is_invalid()) => Ok(()),
                    other => other.map(|_| ()).map_err(error_text),
                }
            } else {
                let delete = self.sqs.delete_message().queue_url(&self.queue_url).receipt_handle(handle);
                delete.send().await.map(|_| ()).map_err(error_text)
            };
            if let Err(err) = settled {
                unsettled.push(format!("message {id}: {err}"));
            }
        }
        if !unsettled.is_empty() {
            return Err(format!("cannot settle {} of {count} messages: {}", unsettled.len(), unsettled.join("; ")));
        }
        Ok(Polled { received: count, failed: failed.len() })
    }

    /// Polls until a receive comes back empty; at most `max_polls` times.
    pub async fn drain(&self, worker: &impl SqsConsumer, max_polls: usize) -> Result<Vec<Polled>, String> {
        let mut polls = Vec::new();
        for _ in 0..max_polls {
            let polled = self.poll_once(worker).await?;
            if polled.received == 0 {
                break;
            }
            polls.push(polled);
        }
        Ok(polls)
    }
}
