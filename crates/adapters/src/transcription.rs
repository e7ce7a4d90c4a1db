//! Speech to text on an OpenAI-compatible `/audio/transcriptions` endpoint (OpenAI's
//! `whisper-1` or `gpt-4o-mini-transcribe`, Groq, a local Whisper server).

use std::time::Duration;

use async_trait::async_trait;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use super::llm::Endpoint;
use crate::ports::{AudioClip, LlmError, Transcriber, Transcript};

/// A voice note of a few minutes is transcribed in seconds; the worker has 60 s for everything.
pub const TRANSCRIPTION_TIMEOUT: Duration = Duration::from_secs(30);

pub struct TranscriptionClient {
    http: reqwest::Client,
    endpoint: Endpoint,
    model: String,
}

impl TranscriptionClient {
    pub fn new(endpoint: Endpoint, model: String, timeout: Duration) -> Result<Self, String> {
        let http = super::https::client_builder(timeout)?
            .build()
            .map_err(|err| format!("cannot build the transcription HTTP client: {err}"))?;
        Ok(Self { http, endpoint, model })
    }
}

#[async_trait]
impl Transcriber for TranscriptionClient {
    async fn transcribe(&self, clip: AudioClip<'_>) -> Result<Transcript, LlmError> {
        let file = Part::bytes(clip.bytes.to_vec())
            .file_name(clip.filename.to_owned())
            .mime_str(clip.mime_type)
            .map_err(|err| LlmError::Malformed(format!("audio type {}: {err}", clip.mime_type)))?;
        let mut form = Form::new().part("file", file).text("model", self.model.clone()).text("response_format", "json");
        if let Some(language) = clip.language {
            form = form.text("language", language.to_owned());
        }
        let url = format!("{}/audio/transcriptions", self.endpoint.base_url.trim_end_matches('/'));
        let response = self
            .http
            .post(url)
            .bearer_auth(&self.endpoint.api_key)
            .multipart(form)
            .send()
            .await
            .map_err(super::llm::transport)?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(super::llm::transport)?;
        if !(200..300).contains(&status) {
            return Err(LlmError::Status { status, body: text.chars().take(500).collect() });
        }
        let body: Value = serde_json::from_str(&text).map_err(|err| LlmError::Malformed(err.to_string()))?;
        let words =
            body["text"].as_str().ok_or_else(|| LlmError::Malformed("no `text` in the transcription".into()))?;
        // Whisper's verbose answer says `duration`; the gpt-4o transcribers report `usage.seconds`.
        let seconds = body["duration"].as_f64().or_else(|| body["usage"]["seconds"].as_f64());
        Ok(Transcript { text: words.trim().to_owned(), seconds })
    }
}
