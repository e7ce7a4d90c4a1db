//! LLM adapters: OpenAI-compatible chat completions (OpenAI, Groq, vLLM, Ollama…), Anthropic
//! messages and Amazon Bedrock's Converse API, chosen per agent by its provider.
//!
//! Each marks the stable prefix of a request (the tool definitions and the system prompt) as
//! cacheable where its provider needs a marker, and reports the input tokens it read from the
//! provider's cache apart (`ChatReply::cached_input_tokens`, a part of `input_tokens`).

mod anthropic;
mod bedrock;
mod embeddings;
mod openai;

use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;

pub use bedrock::{BedrockClient, BedrockConfig};
pub use embeddings::{EmbeddingsClient, EMBEDDINGS_TIMEOUT};

use crate::model::Provider;
use crate::ports::{ChatReply, ChatRequest, ChatRole, Llm, LlmError};

#[derive(Clone)]
pub struct Endpoint {
    pub base_url: String,
    pub api_key: String,
}

/// Never prints the key.
impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint").field("base_url", &self.base_url).field("api_key", &"<redacted>").finish()
    }
}

#[derive(Clone)]
pub struct LlmClient {
    http: reqwest::Client,
    openai: Option<Endpoint>,
    anthropic: Option<Endpoint>,
    bedrock: Option<BedrockClient>,
    /// Local stand-in: every provider without a client of its own goes to the OpenAI-compatible
    /// endpoint.
    openai_for_all: bool,
}

impl LlmClient {
    pub fn new(openai: Option<Endpoint>, anthropic: Option<Endpoint>, timeout: Duration) -> Result<Self, String> {
        let http = super::https::client_builder(timeout)?
            .build()
            .map_err(|err| format!("cannot build the LLM HTTP client: {err}"))?;
        Ok(Self { http, openai, anthropic, bedrock: None, openai_for_all: false })
    }

    /// Agents whose provider is `bedrock` are answered through `bedrock`.
    pub fn with_bedrock(mut self, bedrock: BedrockClient) -> Self {
        self.bedrock = Some(bedrock);
        self
    }

    pub fn openai_for_all(mut self) -> Self {
        self.openai_for_all = true;
        self
    }
}

/// POSTs `body` as JSON and reads a JSON answer; a status outside 2xx is an error with (the
/// start of) what the provider said.
async fn post_json(
    http: &reqwest::Client,
    url: String,
    headers: &[(&str, &str)],
    body: &Value,
) -> Result<Value, LlmError> {
    let mut request = http.post(url).json(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.map_err(transport)?;
    let status = response.status().as_u16();
    let text = response.text().await.map_err(transport)?;
    if !(200..300).contains(&status) {
        return Err(LlmError::Status { status, body: text.chars().take(500).collect() });
    }
    serde_json::from_str(&text).map_err(|err| LlmError::Malformed(err.to_string()))
}

fn role(role: ChatRole) -> &'static str {
    match role {
        ChatRole::User => "user",
        ChatRole::Assistant => "assistant",
    }
}

/// A token count from a provider's usage object; absent, negative or not a number is 0.
fn count(value: &Value) -> u64 {
    value.as_u64().unwrap_or(0)
}

pub(crate) fn transport(err: reqwest::Error) -> LlmError {
    if err.is_timeout() {
        LlmError::Timeout
    } else {
        LlmError::Network(err.without_url().to_string())
    }
}

#[async_trait]
impl Llm for LlmClient {
    async fn complete(&self, request: &ChatRequest) -> Result<ChatReply, LlmError> {
        if let (Provider::Bedrock, Some(bedrock)) = (request.provider, &self.bedrock) {
            return bedrock.complete(request).await;
        }
        if self.openai_for_all {
            if let Some(openai) = &self.openai {
                return openai::complete(&self.http, openai, request).await;
            }
        }
        match request.provider {
            Provider::Openai => match &self.openai {
                Some(openai) => openai::complete(&self.http, openai, request).await,
                None => Err(LlmError::NotConfigured(Provider::Openai)),
            },
            Provider::Anthropic => match &self.anthropic {
                Some(anthropic) => anthropic::complete(&self.http, anthropic, request).await,
                None => Err(LlmError::NotConfigured(Provider::Anthropic)),
            },
            Provider::Bedrock => match &self.bedrock {
                Some(bedrock) => bedrock.complete(request).await,
                None => Err(LlmError::NotConfigured(Provider::Bedrock)),
            },
        }
    }
}
