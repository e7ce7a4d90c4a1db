//! Outbound event delivery over HTTPS, one client per container.

use std::time::Duration;

use async_trait::async_trait;

use crate::ports::EventDelivery;

pub struct HttpEventDelivery {
    http: reqwest::Client,
}

impl HttpEventDelivery {
    pub fn new(timeout: Duration) -> Result<Self, String> {
        let http = super::https::client_builder(timeout)?
            .build()
            .map_err(|err| format!("cannot build the event HTTP client: {err}"))?;
        Ok(Self { http })
    }
}

#[async_trait]
impl EventDelivery for HttpEventDelivery {
    async fn post(&self, url: &str, headers: &[(&str, String)], body: String) -> Result<u16, String> {
        let mut request = self.http.post(url).header("content-type", "application/json").body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        request.send().await.map(|r| r.status().as_u16()).map_err(|err| err.without_url().to_string())
    }
}
