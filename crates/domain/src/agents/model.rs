//! Agents: a prompt (a fixed version or the latest), a model, and how they behave.

use crate::model::ids::{AgentId, PromptId, WorkspaceId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::model::values::{LanguageCode, ReplyDelay, Temperature};
use crate::numbers::template::TemplateMessage;
use crate::prompts::model::Tool;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Any OpenAI-compatible chat-completions endpoint (OpenAI, Groq, vLLM, Ollama…).
    Openai,
    Anthropic,
    /// Amazon Bedrock's Converse API, with the function's IAM role: no key.
    Bedrock,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelSettings {
    pub provider: Provider,
    pub name: String,
    /// When unset, the prompt's temperature applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<Temperature>,
    pub max_tokens: u32,
    /// The model takes images as input: contacts' photos reach it as images, not as captions.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub accepts_images: bool,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Openai => "openai",
            Provider::Anthropic => "anthropic",
            Provider::Bedrock => "bedrock",
        }
    }
}

/// Re-engage a contact who went quiet: used by the follow-up scheduler.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowUpPolicy {
    pub after_minutes: u32,
    pub max_attempts: u32,
    /// What the LLM is told to do while the 24-hour window is open.
    pub instruction: String,
    /// What is sent once the window has closed; nothing when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<TemplateMessage>,
}

/// An agent's analysis prompt (of type `analysis`), and when it runs besides on demand and when
/// the conversation is marked done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalysisSettings {
    pub prompt_id: PromptId,
    /// `None` follows the prompt's working copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_version: Option<u32>,
    /// After this many minutes without a message; never when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_minutes: Option<u32>,
}

pub const MAX_ANALYZE_AFTER_MINUTES: u32 = 30 * 24 * 60;

/// The knowledge bases an agent answers from: it gets the built-in tool `search_knowledge`
/// over them, and (`in_context`) the best chunks for the contact's latest turn before the first
/// LLM call of each turn.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KnowledgeUse {
    #[serde(default)]
    pub bases: Vec<crate::model::KnowledgeBaseId>,
    #[serde(default)]
    pub in_context: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Agent {
    pub id: AgentId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub prompt_id: PromptId,
    /// `None` follows the prompt's latest version (or its label).
    pub prompt_version: Option<u32>,
    /// The prompt's label it follows: moving the label moves the agent. Never with a version.
    pub prompt_label: Option<crate::prompts::labels::LabelName>,
    pub model: ModelSettings,
    pub first_message: Option<String>,
    pub follow_up: Option<FollowUpPolicy>,
    pub tools: Vec<Tool>,
    /// Sent instead of a reply that an output policy blocked.
    pub fallback_text: Option<String>,
    /// Whether a reaction (a 👍 to a reply) is a turn the agent answers; otherwise it is only
    /// recorded on the message it reacts to.
    pub answer_reactions: bool,
    /// How long a conversation must be quiet before the agent answers (0–30 s); else the
    /// prompt's `responseTime`, else `ReplyDelay::DEFAULT`.
    pub reply_delay_seconds: Option<ReplyDelay>,
    /// The language voice notes are in (ISO-639-1, `de`), a hint for transcription.
    pub transcription_language: Option<LanguageCode>,
    /// Runs over the transcript when the conversation is done, after a silence, or on demand.
    pub analysis: Option<AnalysisSettings>,
    /// The knowledge bases it answers from.
    pub knowledge: KnowledgeUse,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// Bumped by every write: a change is stored only over the revision it was made from, so
    /// that two concurrent changes of different fields both survive.
    pub revision: u64,
}
