//! Embeddings on an OpenAI-compatible `/embeddings` endpoint (OpenAI's `text-embedding-3-small`,
//! or any server that speaks its shape), for knowledge bases' meaning-based ranking.

use std::time::Duration;

use async_trait::async_trait;
use serde_json::{json, Value};

use super::Endpoint;
use crate::ports::{Embedder, LlmError};

/// A batch of chunks is embedded in seconds; a query in well under one.
pub const EMBEDDINGS_TIMEOUT: Duration = Duration::from_secs(20);
/// What the client reads of an answer: 64 vectors of 3,072 floats as JSON text, with room.
const MAX_ANSWER_BYTES: usize = 8 * 1024 * 1024;

pub struct EmbeddingsClient {
    http: reqwest::Client,
    endpoint: Endpoint,
    model: String,
    /// Asked of models that can shorten their vectors (`text-embedding-3-*`): smaller snapshots.
    dimensions: Option<u32>,
}

impl EmbeddingsClient {
    pub fn new(endpoint: Endpoint, model: String, dimensions: Option<u32>, timeout: Duration) -> Result<Self, String> {
        let http = super::super::https::client_builder(timeout)?
            .build()
            .map_err(|err| format!("cannot build the embeddings HTTP client: {err}"))?;
        Ok(Self { http, endpoint, model, dimensions })
    }
}

#[async_trait]
impl Embedder for EmbeddingsClient {
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, LlmError> {
        let mut body = json!({"model": self.model, "input": texts});
        if let Some(dimensions) = self.dimensions {
            body["dimensions"] = json!(dimensions);
        }
        let url = format!("{}/embeddings", self.endpoint.base_url.trim_end_matches('/'));
        let mut response = self
            .http
            .post(url)
            .bearer_auth(&self.endpoint.api_key)
            .json(&body)
            .send()
            .await
            .map_err(super::transport)?;
        let status = response.status().as_u16();
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(super::transport)? {
            if bytes.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(LlmError::Malformed("the embeddings answer is too large".into()));
            }
            bytes.extend_from_slice(&chunk);
        }
        if !(200..300).contains(&status) {
            return Err(LlmError::Status { status, body: String::from_utf8_lossy(&bytes).chars().take(500).collect() });
        }
        vectors(&bytes, texts.len())
    }
}

/// The answer's vectors in the order of the texts (`data[].index`), each checked.
fn vectors(answer: &[u8], expected: usize) -> Result<Vec<Vec<f32>>, LlmError> {
    let malformed = |why: &str| LlmError::Malformed(format!("embeddings: {why}"));
    let body: Value = serde_json::from_slice(answer).map_err(|err| malformed(&err.to_string()))?;
    let data = body["data"].as_array().ok_or_else(|| malformed("no `data`"))?;
    let mut vectors: Vec<Option<Vec<f32>>> = vec![None; expected];
    for item in data {
        let index =
            item["index"].as_u64().and_then(|i| usize::try_from(i).ok()).ok_or_else(|| malformed("no `index`"))?;
        let values = item["embedding"].as_array().ok_or_else(|| malformed("no `embedding`"))?;
        let vector: Vec<f32> = values
            .iter()
            .map(|v| v.as_f64().map(|f| f as f32))
            .collect::<Option<_>>()
            .ok_or_else(|| malformed("not numbers"))?;
        *vectors.get_mut(index).ok_or_else(|| malformed("an index past the texts"))? = Some(vector);
    }
    vectors.into_iter().map(|v| v.ok_or_else(|| malformed("a text without its vector"))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_are_read_in_the_order_of_the_texts_and_a_short_answer_is_refused() {
        let answer = br#"{"data": [{"index": 1, "embedding": [0.5, 1]}, {"index": 0, "embedding": [1, 0]}]}"#;

        assert_eq!(vectors(answer, 2), Ok(vec![vec![1.0, 0.0], vec![0.5, 1.0]]));
        assert!(vectors(answer, 3).is_err(), "a text without its vector");
        assert!(vectors(br#"{"data": [{"index": 9, "embedding": [1]}]}"#, 1).is_err());
        assert!(vectors(br#"{"data": [{"index": 0, "embedding": ["x"]}]}"#, 1).is_err());
        assert!(vectors(b"<html>", 1).is_err());
    }
}
