//! Outbound event delivery over HTTPS, one client per container.

use std::time::Duration;

use async_trait::async_trait;

use crate::model::outbound_url::{check, OutboundRules};
use crate::ports::EventDelivery;

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
    async fn post(&self, url: &str, headers: &[(&str, String)], body: String) -> Result<u16, String> {
        // Checked again at delivery: the rule may have changed since the URL was stored.
        let url = check(url, &self.rules).map_err(|why| format!("the URL {why}"))?;
        let mut request = self.http.post(url.as_str()).header("content-type", "application/json").body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        request.send().await.map(|r| r.status().as_u16()).map_err(|err| err.without_url().to_string())
    }

    async fn call_tool(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: String,
        timeout: Duration,
    ) -> Result<(u16, String), String> {
        let url = check(url, &self.rules).map_err(|why| format!("the URL {why}"))?;
        let mut request =
            self.http.post(url.as_str()).header("content-type", "application/json").body(body).timeout(timeout);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let failed = |err: reqwest::Error| {
            if err.is_timeout() {
                format!("the tool did not answer within {} s", timeout.as_secs())
            } else {
                err.without_url().to_string()
            }
        };
        let mut response = request.send().await.map_err(failed)?;
        let status = response.status().as_u16();
        // Read no more than is kept: a tool that answers gigabytes costs us a few kilobytes.
        let mut bytes = Vec::new();
        while bytes.len() < MAX_TOOL_ANSWER_BYTES {
            match response.chunk().await.map_err(failed)? {
                Some(chunk) => bytes.extend_from_slice(&chunk),
                None => break,
            }
        }
        let text = String::from_utf8_lossy(&bytes);
        Ok((status, text.chars().take(MAX_TOOL_ANSWER_CHARS).collect()))
    }
}

/// How much of a tool's answer is kept and given to the model.
pub const MAX_TOOL_ANSWER_CHARS: usize = 8_000;
const MAX_TOOL_ANSWER_BYTES: usize = 4 * MAX_TOOL_ANSWER_CHARS;
