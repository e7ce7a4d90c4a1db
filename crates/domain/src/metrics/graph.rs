//! Every call to Meta's Graph API counted by operation and outcome (Meta's code), with its
//! latency: a decorator of the WhatsApp port, so that no caller has to remember it.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;

use super::{Measurement, Metrics};
use crate::ports::{
    DownloadError, GraphError, MediaInfo, NumberInfo, Outbound, Secret, Sender, TemplateSummary, WhatsApp,
};

pub struct MeteredWhatsApp {
    pub inner: Arc<dyn WhatsApp>,
    pub metrics: Arc<dyn Metrics>,
}

impl MeteredWhatsApp {
    fn count<T>(
        &self,
        from: Option<&Sender>,
        operation: &'static str,
        started: Instant,
        result: &Result<T, GraphError>,
    ) {
        let outcome = result.as_ref().map_or_else(GraphError::metric_label, |_| "ok");
        let workspace = from.map(|sender| &sender.workspace_id);
        self.metrics.record(Measurement::graph_call(workspace, operation, outcome, started.elapsed().as_millis()));
    }
}

#[async_trait]
impl WhatsApp for MeteredWhatsApp {
    async fn send(&self, from: &Sender, message: &Outbound) -> Result<String, GraphError> {
        let started = Instant::now();
        let result = self.inner.send(from, message).await;
        self.count(Some(from), "send", started, &result);
        result
    }

    async fn mark_read(&self, from: &Sender, wamid: &str) -> Result<(), GraphError> {
        let started = Instant::now();
        let result = self.inner.mark_read(from, wamid).await;
        self.count(Some(from), "mark_read", started, &result);
        result
    }

    async fn number_info(&self, phone_number_id: &str, token: &Secret) -> Result<NumberInfo, GraphError> {
        let started = Instant::now();
        let result = self.inner.number_info(phone_number_id, token).await;
        self.count(None, "number_info", started, &result);
        result
    }

    async fn templates(&self, from: &Sender, waba_id: &str) -> Result<Vec<TemplateSummary>, GraphError> {
        let started = Instant::now();
        let result = self.inner.templates(from, waba_id).await;
        self.count(Some(from), "templates", started, &result);
        result
    }

    async fn media_info(&self, from: &Sender, media_id: &str) -> Result<MediaInfo, GraphError> {
        let started = Instant::now();
        let result = self.inner.media_info(from, media_id).await;
        self.count(Some(from), "media_info", started, &result);
        result
    }

    async fn download_media(&self, from: &Sender, url: &str, max_bytes: u64) -> Result<Vec<u8>, DownloadError> {
        let started = Instant::now();
        let result = self.inner.download_media(from, url, max_bytes).await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(DownloadError::Graph(err)) => err.metric_label(),
            Err(DownloadError::TooLarge { .. }) => "too_large",
            Err(DownloadError::Refused(_)) => "refused",
        };
        let millis = started.elapsed().as_millis();
        self.metrics.record(Measurement::graph_call(Some(&from.workspace_id), "download", outcome, millis));
        result
    }
}
