//! Outbound event delivery over HTTPS, one client per container.

use std::time::Duration;

use async_trait::async_trait;

use crate::model::outbound_url::{check, OutboundRules};
use crate::ports::{DeliveryError, EventDelivery, EVENT_DELIVERY_TIMEOUT};

pub struct HttpEventDelivery {
    http: reqwest::Client,
    rules: OutboundRules,
}

impl HttpEventDelivery {
    pub fn new(timeout: Duration, rules: OutboundRules) -> Result<Self, String> {
        Ok(Self { http: super::https::guarded_client(timeout, rules.clone())?, rules })
    }
}

#[async_trait]
impl EventDelivery for HttpEventDelivery {
    async fn post(&self, url: &str, headers: &[(&str, String)], body: String) -> Result<u16, DeliveryError> {
        // Checked again at delivery: the rule may have changed since the URL was stored.
        let url = check(url, &self.rules).map_err(DeliveryError::Refused)?;
        let mut request = self.http.post(url.as_str()).header("content-type", "application/json").body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        request.send().await.map(|r| r.status().as_u16()).map_err(|err| failed(err, EVENT_DELIVERY_TIMEOUT))
    }

    async fn call_tool(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: String,
        timeout: Duration,
    ) -> Result<(u16, String), DeliveryError> {
        let url = check(url, &self.rules).map_err(DeliveryError::Refused)?;
        let mut request =
            self.http.post(url.as_str()).header("content-type", "application/json").body(body).timeout(timeout);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let mut response = request.send().await.map_err(|err| failed(err, timeout))?;
        let status = response.status().as_u16();
        // Read no more than is kept: a tool that answers gigabytes costs us a few kilobytes.
        let mut bytes = Vec::new();
        while bytes.len() < MAX_TOOL_ANSWER_BYTES {
            match response.chunk().await.map_err(|err| failed(err, timeout))? {
                Some(chunk) => bytes.extend_from_slice(&chunk),
                None => break,
            }
        }
        let text = String::from_utf8_lossy(&bytes);
        Ok((status, text.chars().take(MAX_TOOL_ANSWER_CHARS).collect()))
    }
}

/// A failure without an answer; the URL is left out (it may carry a tenant's secret).
fn failed(err: reqwest::Error, timeout: Duration) -> DeliveryError {
    if err.is_timeout() {
        DeliveryError::TimedOut(timeout)
    } else {
        DeliveryError::Failed(err.without_url().to_string())
    }
}

/// How much of a tool's answer is kept and given to the model.
pub const MAX_TOOL_ANSWER_CHARS: usize = 8_000;
const MAX_TOOL_ANSWER_BYTES: usize = 4 * MAX_TOOL_ANSWER_CHARS;
