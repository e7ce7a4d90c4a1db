//! The LLM: one request shape for every provider, its answer and its errors.

use async_trait::async_trait;
use serde_json::Value;

use super::ImageInput;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ChatRole {
    #[default]
    User,
    Assistant,
}

/// One turn. An assistant turn may call tools; the user turn after it carries their results.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChatTurn {
    pub role: ChatRole,
    pub content: String,
    /// Images the contact sent, for models that accept them.
    pub images: Vec<ImageInput>,
    pub tool_calls: Vec<ToolCallRequest>,
    pub tool_results: Vec<ToolResult>,
}

impl ChatTurn {
    pub fn text(role: ChatRole, content: impl Into<String>) -> Self {
        Self { role, content: content.into(), ..Self::default() }
    }
}

/// A tool the model may call.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    /// A JSON Schema object.
    pub parameters: Value,
}

/// A call the model asked for: its id (the provider's), the tool, and the arguments as written
/// (JSON text, not yet checked).
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCallRequest {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

/// What a call gave back, for the model.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolResult {
    pub call_id: String,
    pub content: String,
    pub is_error: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    pub provider: crate::model::Provider,
    pub model: String,
    /// The agent's instructions: the same on every turn, so the end of the cached prefix.
    pub system: String,
    /// Instructions for this turn only (knowledge found for what the contact wrote): sent after
    /// `system` and outside its cache point, so the instructions stay cached; empty, none.
    pub turn_context: String,
    /// Alternating, starting with the user.
    pub turns: Vec<ChatTurn>,
    pub temperature: Option<crate::model::Temperature>,
    pub max_tokens: u32,
    /// Ask for a JSON object (OpenAI-compatible `response_format`; Anthropic has no such mode
    /// and is told so by the prompt).
    pub json: bool,
    /// The tools the model may call; none, none offered.
    pub tools: Vec<ToolSpec>,
}

impl ChatRequest {
    /// What `agent` asks of its model: its provider, model, token limit and temperature (the
    /// agent's, else the prompt's), `system` and the `turns`; no tools and free text until
    /// `offering` and `as_json` say otherwise. Every LLM call is built here.
    pub fn for_agent(
        agent: &crate::model::Agent,
        system: String,
        prompt_temperature: Option<crate::model::Temperature>,
        turns: Vec<ChatTurn>,
    ) -> Self {
        Self {
            provider: agent.model.provider,
            model: agent.model.name.clone(),
            system,
            turn_context: String::new(),
            turns,
            temperature: agent.model.temperature.or(prompt_temperature),
            max_tokens: agent.model.max_tokens,
            json: false,
            tools: Vec::new(),
        }
    }

    pub fn offering(mut self, tools: Vec<ToolSpec>) -> Self {
        self.tools = tools;
        self
    }

    pub fn with_turn_context(mut self, context: String) -> Self {
        self.turn_context = context;
        self
    }

    pub fn as_json(mut self, json: bool) -> Self {
        self.json = json;
        self
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChatReply {
    pub text: String,
    /// Every input token of the request, those read from the provider's prompt cache included.
    pub input_tokens: u64,
    /// Of `input_tokens`, those the provider read from its prompt cache (billed at a fraction).
    pub cached_input_tokens: u64,
    pub output_tokens: u64,
    pub model: String,
    /// Tools the model asked to call (several at once, perhaps) instead of, or beside, a text.
    pub tool_calls: Vec<ToolCallRequest>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LlmError {
    #[error("the LLM did not answer in time")]
    Timeout,
    #[error("the LLM answered {status}: {body}")]
    Status { status: u16, body: String },
    #[error("the LLM could not be reached: {0}")]
    Network(String),
    #[error("the LLM's answer was not understood: {0}")]
    Malformed(String),
    #[error("no {0:?} endpoint is configured")]
    NotConfigured(crate::model::Provider),
}

impl LlmError {
    /// A bounded name of what went wrong, for the operators' metrics.
    pub fn class(&self) -> &'static str {
        match self {
            LlmError::Timeout => "timeout",
            LlmError::Status { status: 429, .. } => "throttled",
            LlmError::Status { status, .. } if *status >= 500 => "server_error",
            LlmError::Status { .. } => "refused",
            LlmError::Network(_) => "network",
            LlmError::Malformed(_) => "malformed",
            LlmError::NotConfigured(_) => "not_configured",
        }
    }

    /// Time-outs, 429 and 5xx may pass; a 4xx or a missing configuration will not.
    pub fn is_retryable(&self) -> bool {
        match self {
            LlmError::Timeout | LlmError::Network(_) => true,
            LlmError::Status { status, .. } => *status == 429 || *status >= 500,
            LlmError::Malformed(_) | LlmError::NotConfigured(_) => false,
        }
    }
}

/// The LLM requests get answers within this.
pub const LLM_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(25);

#[async_trait]
pub trait Llm: Send + Sync {
    async fn complete(&self, request: &ChatRequest) -> Result<ChatReply, LlmError>;
}
