//! Configuration from the environment, read once at start.

use std::env;
use std::time::Duration;

use crate::adapters::graph::GraphConfig;
use crate::adapters::llm::Endpoint;

pub const DEFAULT_GRAPH_URL: &str = "https://graph.facebook.com";
pub const DEFAULT_GRAPH_VERSION: &str = "v23.0";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("missing configuration: set the environment variable {name} ({purpose})")]
    Missing { name: &'static str, purpose: &'static str },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// The LLM providers a worker may call; at least one is configured.
#[derive(Debug, Clone)]
pub struct LlmConfig {
    /// OpenAI-compatible endpoint (`LLM_BASE_URL`, `LLM_API_KEY`), if configured.
    pub openai: Option<Endpoint>,
    /// Anthropic (`ANTHROPIC_BASE_URL`, `ANTHROPIC_API_KEY`), if configured.
    pub anthropic: Option<Endpoint>,
}

/// The WhatsApp Graph API: where it is, and the token that sends.
pub fn graph() -> Result<GraphConfig, ConfigError> {
    Ok(GraphConfig {
        base_url: optional("WHATSAPP_GRAPH_URL").unwrap_or_else(|| DEFAULT_GRAPH_URL.to_owned()),
        version: optional("WHATSAPP_API_VERSION").unwrap_or_else(|| DEFAULT_GRAPH_VERSION.to_owned()),
        token: required("WHATSAPP_TOKEN", "the WhatsApp Cloud API access token")?,
        timeout: Duration::from_secs(10),
    })
}

pub fn llm() -> Result<LlmConfig, ConfigError> {
    let config = LlmConfig {
        openai: optional("LLM_API_KEY").map(|api_key| Endpoint {
            base_url: optional("LLM_BASE_URL").unwrap_or_else(|| "https://api.openai.com/v1".to_owned()),
            api_key,
        }),
        anthropic: optional("ANTHROPIC_API_KEY").map(|api_key| Endpoint {
            base_url: optional("ANTHROPIC_BASE_URL").unwrap_or_else(|| "https://api.anthropic.com".to_owned()),
            api_key,
        }),
    };
    if config.openai.is_none() && config.anthropic.is_none() {
        return Err(ConfigError::Missing {
            name: "LLM_API_KEY",
            purpose: "an OpenAI-compatible LLM key (with LLM_BASE_URL for a non-OpenAI endpoint), or set ANTHROPIC_API_KEY",
        });
    }
    Ok(config)
}

pub fn required(name: &'static str, purpose: &'static str) -> Result<String, ConfigError> {
    match env::var(name) {
        Ok(value) if !value.trim().is_empty() => Ok(value),
        _ => Err(ConfigError::Missing { name, purpose }),
    }
}

pub fn optional(name: &str) -> Option<String> {
    env::var(name).ok().filter(|value| !value.trim().is_empty())
}
