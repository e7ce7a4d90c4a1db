//! Configuration from the environment, read once at start.

use std::env;
use std::time::Duration;

use crate::graph::GraphConfig;
use crate::llm::{BedrockConfig, Endpoint};

pub const DEFAULT_GRAPH_URL: &str = "https://graph.facebook.com";
pub const DEFAULT_GRAPH_VERSION: &str = "v23.0";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("missing configuration: set the environment variable {name} ({purpose})")]
    Missing { name: &'static str, purpose: &'static str },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// Secret configuration values: from Secrets Manager on AWS (the secrets named by
/// `CONFIG_SECRET_ARNS`, each a JSON object of names to values, read once per container), or
/// from the environment where there is no Secrets Manager (the local stack, tests).
#[derive(Default)]
pub struct SecretValues(std::collections::HashMap<String, String>);

impl SecretValues {
    /// Reads the function's secrets; a function without `CONFIG_SECRET_ARNS` reads none.
    pub async fn load(aws: &aws_config::SdkConfig) -> Result<Self, ConfigError> {
        let Some(arns) = optional("CONFIG_SECRET_ARNS") else { return Ok(Self::default()) };
        let client = aws_sdk_secretsmanager::Client::new(aws);
        let mut values = std::collections::HashMap::new();
        for arn in arns.split(',').map(str::trim).filter(|arn| !arn.is_empty()) {
            let found = client.get_secret_value().secret_id(arn).send().await.map_err(|err| {
                ConfigError::Invalid(format!(
                    "cannot read the secret {arn} named in CONFIG_SECRET_ARNS: {}",
                    aws_sdk_secretsmanager::error::DisplayErrorContext(err)
                ))
            })?;
            let text = found.secret_string.unwrap_or_default();
            let object: std::collections::HashMap<String, String> = serde_json::from_str(&text).map_err(|_| {
                ConfigError::Invalid(format!("the secret {arn} must be a JSON object of names to string values"))
            })?;
            values.extend(object.into_iter().filter(|(_, value)| !value.trim().is_empty()));
        }
        Ok(Self(values))
    }

    pub fn optional(&self, name: &str) -> Option<String> {
        optional(name).or_else(|| self.0.get(name).cloned())
    }

    pub fn required(&self, name: &'static str, purpose: &'static str) -> Result<String, ConfigError> {
        self.optional(name).ok_or(ConfigError::Missing { name, purpose })
    }
}

/// The LLM providers a worker may call. Amazon Bedrock needs no key (the function's IAM role
/// signs its requests), so it is always there; the others are there when their key is.
#[derive(Debug, Clone)]
pub struct LlmConfig {
    /// OpenAI-compatible endpoint (`LLM_BASE_URL`, `LLM_API_KEY`), if configured.
    pub openai: Option<Endpoint>,
    /// Anthropic (`ANTHROPIC_BASE_URL`, `ANTHROPIC_API_KEY`), if configured.
    pub anthropic: Option<Endpoint>,
    /// Bedrock: `BEDROCK_REGION` (default the function's region) and `BEDROCK_ENDPOINT_URL`
    /// (a VPC endpoint; default the public one).
    pub bedrock: BedrockConfig,
}

/// Sending as business numbers.
#[derive(Debug, Clone)]
pub struct SendingConfig {
    pub graph: GraphConfig,
    /// Names the numbers' token secrets (`SECRETS_PREFIX`, default the table's name).
    pub secrets_prefix: String,
    /// `WHATSAPP_TOKEN`: optional; numbers registered without a token of their own send with it.
    pub default_token: Option<String>,
}

pub fn graph(secrets: &SecretValues) -> Result<SendingConfig, ConfigError> {
    let graph = GraphConfig {
        base_url: optional("WHATSAPP_GRAPH_URL").unwrap_or_else(|| DEFAULT_GRAPH_URL.to_owned()),
        version: optional("WHATSAPP_API_VERSION").unwrap_or_else(|| DEFAULT_GRAPH_VERSION.to_owned()),
        timeout: Duration::from_secs(10),
    };
    let secrets_prefix = match optional("SECRETS_PREFIX") {
        Some(prefix) => prefix,
        None => required("TABLE_NAME", "the DynamoDB table that holds Colloquy's state")?,
    };
    Ok(SendingConfig { graph, secrets_prefix, default_token: secrets.optional("WHATSAPP_TOKEN") })
}

pub fn llm(secrets: &SecretValues) -> LlmConfig {
    LlmConfig {
        openai: secrets.optional("LLM_API_KEY").map(|api_key| Endpoint {
            base_url: optional("LLM_BASE_URL").unwrap_or_else(|| "https://api.openai.com/v1".to_owned()),
            api_key,
        }),
        anthropic: secrets.optional("ANTHROPIC_API_KEY").map(|api_key| Endpoint {
            base_url: optional("ANTHROPIC_BASE_URL").unwrap_or_else(|| "https://api.anthropic.com".to_owned()),
            api_key,
        }),
        bedrock: BedrockConfig { region: optional("BEDROCK_REGION"), endpoint_url: optional("BEDROCK_ENDPOINT_URL") },
    }
}

/// Knowledge bases' embeddings: `EMBEDDINGS_MODEL` turns them on, on `EMBEDDINGS_BASE_URL`
/// (default the LLM's) with `EMBEDDINGS_API_KEY` (default `LLM_API_KEY`) from the LLM secret;
/// `EMBEDDINGS_DIMENSIONS` shortens the vectors of models that can.
pub struct EmbeddingsConfig {
    pub endpoint: Endpoint,
    pub model: String,
    pub dimensions: Option<u32>,
}

pub fn embeddings(secrets: &SecretValues, openai: Option<&Endpoint>) -> Result<Option<EmbeddingsConfig>, ConfigError> {
    let Some(model) = optional("EMBEDDINGS_MODEL") else { return Ok(None) };
    let Some(api_key) = secrets.optional("EMBEDDINGS_API_KEY").or_else(|| openai.map(|e| e.api_key.clone())) else {
        return Err(ConfigError::Invalid(
            "EMBEDDINGS_MODEL is set but there is no EMBEDDINGS_API_KEY or LLM_API_KEY".into(),
        ));
    };
    let base_url = optional("EMBEDDINGS_BASE_URL")
        .or_else(|| openai.map(|e| e.base_url.clone()))
        .unwrap_or_else(|| "https://api.openai.com/v1".to_owned());
    let dimensions = optional("EMBEDDINGS_DIMENSIONS")
        .map(|d| {
            d.parse::<u32>().map_err(|_| ConfigError::Invalid(format!("EMBEDDINGS_DIMENSIONS: `{d}` is not a number")))
        })
        .transpose()?;
    Ok(Some(EmbeddingsConfig { endpoint: Endpoint { base_url, api_key }, model, dimensions }))
}

/// Where voice notes are transcribed.
#[derive(Debug, Clone)]
pub struct TranscriptionConfig {
    pub endpoint: Endpoint,
    pub model: String,
}

pub const DEFAULT_TRANSCRIPTION_MODEL: &str = "whisper-1";

/// `TRANSCRIPTION_BASE_URL`, `TRANSCRIPTION_MODEL` (default `whisper-1`) and
/// `TRANSCRIPTION_API_KEY`; the base URL and key default to the OpenAI-compatible LLM's. `None`
/// when there is no key at all: voice notes are then kept but not transcribed.
pub fn transcription(secrets: &SecretValues, openai: Option<&Endpoint>) -> Option<TranscriptionConfig> {
    let api_key = secrets.optional("TRANSCRIPTION_API_KEY").or_else(|| openai.map(|e| e.api_key.clone()))?;
    let base_url = optional("TRANSCRIPTION_BASE_URL")
        .or_else(|| openai.map(|e| e.base_url.clone()))
        .unwrap_or_else(|| "https://api.openai.com/v1".to_owned());
    let model = optional("TRANSCRIPTION_MODEL").unwrap_or_else(|| DEFAULT_TRANSCRIPTION_MODEL.to_owned());
    Some(TranscriptionConfig { endpoint: Endpoint { base_url, api_key }, model })
}

/// `OUTBOUND_HTTPS_PORTS=8443`: HTTPS ports tenants' URLs may use besides 443 (none by default).
/// `LOOPBACK_HTTP_PORTS=8080,9000-9010`: loopback ports tenants' URLs may reach over plain HTTP,
/// for the local stack only; a deployment never sets it.
pub fn outbound_rules() -> Result<crate::model::outbound_url::OutboundRules, ConfigError> {
    use crate::model::outbound_url::{OutboundRules, Ports};
    let ports = |name: &str| {
        Ports::parse(&optional(name).unwrap_or_default()).map_err(|why| ConfigError::Invalid(format!("{name}: {why}")))
    };
    Ok(OutboundRules {
        https_ports: ports("OUTBOUND_HTTPS_PORTS")?,
        loopback_http_ports: ports("LOOPBACK_HTTP_PORTS")?,
    })
}

/// `RATE_LIMIT_PER_KEY` (default 100) and `RATE_LIMIT_PER_WORKSPACE` (default 1,000): the API
/// requests a key, and a workspace's keys together, may make in a minute; `none` lifts one.
pub fn rate_limits() -> Result<colloquy_domain::rate_limits::RateLimits, ConfigError> {
    use colloquy_domain::rate_limits::RateLimits;
    let limit = |name: &str, default: Option<u32>| match optional(name).as_deref().map(str::trim) {
        None => Ok(default),
        Some("none") => Ok(None),
        Some(text) => match text.parse::<u32>() {
            Ok(n) if n > 0 => Ok(Some(n)),
            _ => Err(ConfigError::Invalid(format!(
                "{name} must be a number of requests a minute, or `none` (got `{text}`)"
            ))),
        },
    };
    Ok(RateLimits {
        per_key: limit("RATE_LIMIT_PER_KEY", RateLimits::DEFAULT.per_key)?,
        per_workspace: limit("RATE_LIMIT_PER_WORKSPACE", RateLimits::DEFAULT.per_workspace)?,
    })
}

/// `ALLOWED_MODELS=gpt-4o-mini,claude-3-5-haiku-latest`: the only models agents may name.
pub fn allowed_models() -> Option<Vec<String>> {
    let models: Vec<String> = optional("ALLOWED_MODELS")?
        .split(',')
        .map(str::trim)
        .filter(|model| !model.is_empty())
        .map(str::to_owned)
        .collect();
    (!models.is_empty()).then_some(models)
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
