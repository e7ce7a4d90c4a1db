//! Outbound event delivery over HTTPS, one client per container.

use std::time::Duration;

use async_trait::async_trait;

use crate::model::outbound_url::{check, OutboundRules};
use crate::ports::{DeliveryError, DocumentFetcher, EventDelivery, Fetched, EVENT_DELIVERY_TIMEOUT};

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

#[async_trait]
impl DocumentFetcher for HttpEventDelivery {
    async fn fetch(&self, url: &str, max_bytes: usize, timeout: Duration) -> Result<Fetched, DeliveryError> {
        let url = check(url, &self.rules).map_err(DeliveryError::Refused)?;
        let mut response =
            self.http.get(url.as_str()).timeout(timeout).send().await.map_err(|err| failed(err, timeout))?;
        let status = response.status();
        if !status.is_success() {
            return Err(DeliveryError::Failed(format!("the server answered {}", status.as_u16())));
        }
        if response.content_length().is_some_and(|length| length > max_bytes as u64) {
            return Err(DeliveryError::Failed(too_large(max_bytes)));
        }
        let content_type =
            response.headers().get("content-type").and_then(|value| value.to_str().ok()).map(str::to_owned);
        // Counted as it arrives: a server that lies about its length, or sends without end,
        // is cut off at the limit.
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|err| failed(err, timeout))? {
            if bytes.len() + chunk.len() > max_bytes {
                return Err(DeliveryError::Failed(too_large(max_bytes)));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Fetched { content_type, bytes })
    }
}

fn too_large(max_bytes: usize) -> String {
    format!("it is larger than {} MB", max_bytes / (1024 * 1024))
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
