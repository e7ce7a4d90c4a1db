//! Sending through WhatsApp with the retries that are safe.

use std::time::Duration;

use crate::ports::{GraphError, Outbound, Sender, WhatsApp};

/// Retries only when Meta answered that it could not take the message now (rate limits, 5xx):
/// then it was certainly not sent. A time-out is not retried here, since the message may have
/// gone out and a retry would send it twice.
pub async fn send_with_retry(
    whatsapp: &dyn WhatsApp,
    from: &Sender,
    message: &Outbound,
    attempts: u32,
) -> Result<String, GraphError> {
    let mut delay = Duration::from_millis(200);
    let mut attempt = 1;
    loop {
        match whatsapp.send(from, message).await {
            Ok(wamid) => return Ok(wamid),
            Err(err @ GraphError::Api { .. }) if err.is_retryable() && attempt < attempts => {
                tracing::warn!(code = ?err.code(), attempt, "WhatsApp asked us to slow down; retrying");
                tokio::time::sleep(delay).await;
                delay *= 2;
                attempt += 1;
            }
            Err(err) => return Err(err),
        }
    }
}
