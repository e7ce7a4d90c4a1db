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

/// What a conversation's replies are written with: a fixed version, or the one a label points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PromptPick {
    #[serde(rename = "promptVersion")]
    Version(u32),
    #[serde(rename = "promptLabel")]
    Label(crate::prompts::labels::LabelName),
}

/// One side of a split, and its share of new conversations (its weight over both weights).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SplitArm {
    #[serde(flatten)]
    pub follows: PromptPick,
    pub weight: u32,
}

pub const MAX_SPLIT_WEIGHT: u32 = 100;

/// New conversations (those started from `since`) split between two versions or labels by
/// weight; each keeps the version it was given for its life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrafficSplit {
    pub arms: [SplitArm; 2],
    #[serde(with = "crate::model::timestamp::iso")]
    pub since: OffsetDateTime,
}

impl TrafficSplit {
    /// The arm a conversation falls in: the same for the same id, spread by the weights.
    pub fn arm_for(&self, conversation_id: &str) -> &SplitArm {
        let total = u64::from(self.arms[0].weight) + u64::from(self.arms[1].weight);
        let point = fnv1a(conversation_id.as_bytes()) % total.max(1);
        if point < u64::from(self.arms[0].weight) {
            &self.arms[0]
        } else {
            &self.arms[1]
        }
    }
}

/// FNV-1a: stable across builds and platforms (the standard hasher promises neither), so a
/// conversation lands in the same arm in every container.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
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
    /// New conversations split between two versions or labels; the others as above.
    pub traffic_split: Option<TrafficSplit>,
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

#[cfg(test)]
impl Agent {
    /// An agent for unit tests: an OpenAI model, no tools, follow-ups or analysis.
    pub(crate) fn sample() -> Self {
        let now = OffsetDateTime::UNIX_EPOCH;
        Agent {
            id: "agent".into(),
            workspace_id: "ws".into(),
            name: "Front desk".into(),
            prompt_id: "prompt".into(),
            prompt_version: None,
            prompt_label: None,
            traffic_split: None,
            model: ModelSettings {
                provider: Provider::Openai,
                name: "gpt-4o-mini".into(),
                temperature: None,
                max_tokens: 512,
                accepts_images: false,
            },
            first_message: None,
            follow_up: None,
            tools: Vec::new(),
            fallback_text: None,
            answer_reactions: false,
            reply_delay_seconds: None,
            transcription_language: None,
            analysis: None,
            knowledge: Default::default(),
            created_at: now,
            updated_at: now,
            revision: 1,
        }
    }
}

#[cfg(test)]
mod split_tests {
    use super::*;

    fn split(first: u32, second: u32) -> TrafficSplit {
        TrafficSplit {
            arms: [
                SplitArm { follows: PromptPick::Version(1), weight: first },
                SplitArm { follows: PromptPick::Version(2), weight: second },
            ],
            since: OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn share_of_first(split: &TrafficSplit, conversations: usize) -> f64 {
        let ids = (0..conversations).map(|_| crate::model::ConversationId::generate());
        let first = ids.filter(|id| split.arm_for(id).follows == PromptPick::Version(1)).count();
        first as f64 / conversations as f64
    }

    #[test]
    fn conversations_spread_by_weight_and_each_keeps_its_arm() {
        let ninety_ten = split(90, 10);
        let share = share_of_first(&ninety_ten, 5_000);
        assert!((0.87..=0.93).contains(&share), "{share}");
        let even = share_of_first(&split(1, 1), 5_000);
        assert!((0.46..=0.54).contains(&even), "{even}");
        let id = crate::model::ConversationId::generate();
        let arm = ninety_ten.arm_for(&id).clone();
        assert!((0..100).all(|_| ninety_ten.arm_for(&id) == &arm), "sticky");
    }

    #[test]
    fn the_hash_is_fnv1a() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
