//! Conversations and their messages as the API shows them (the Wassist seed's shapes, camelCase).

use serde::Serialize;
use time::{Duration, OffsetDateTime};

use crate::model::{
    timestamp, AgentId, ChannelKind, Conversation, ConversationId, DeliveryStatus, Direction, Message, MessageError,
    MessageId,
};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationContactView {
    pub phone_number: String,
    pub name: Option<String>,
}

/// The seed's `Conversation`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationView {
    pub id: ConversationId,
    pub contact: ConversationContactView,
    /// The agent that answers.
    pub active_agent: AgentId,
    /// `HH:MM:SS` left of the 24-hour customer-service window; `00:00:00` when closed.
    pub chat_window_remaining_time: String,
    /// A preview of the latest message; empty when there is none.
    pub last_message: String,
    pub is_human_takeover: bool,
    /// The customer-service window is open: free-form messages may be sent.
    pub active: bool,
    pub whatsapp_number: String,
    pub channel: ChannelKind,
    /// Marked done by an operator (no follow-ups); the contact writing again reopens it.
    pub is_done: bool,
    /// The LLM tokens spent on it: replies, tool steps, follow-ups and analyses.
    pub usage: ConversationUsageView,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationUsageView {
    pub input_tokens: u64,
    /// Of `input_tokens`, those read from the provider's prompt cache.
    pub cached_input_tokens: u64,
    pub output_tokens: u64,
}

fn clock_time(left: Duration) -> String {
    let seconds = left.whole_seconds().max(0);
    format!("{:02}:{:02}:{:02}", seconds / 3600, (seconds % 3600) / 60, seconds % 60)
}

impl ConversationView {
    pub fn new(conversation: &Conversation, now: OffsetDateTime) -> Self {
        Self {
            id: conversation.id.clone(),
            contact: ConversationContactView {
                phone_number: conversation.contact().map(|c| c.phone_number.clone()).unwrap_or_default(),
                name: conversation.contact().and_then(|c| c.name.clone()),
            },
            active_agent: conversation.agent_id.clone(),
            chat_window_remaining_time: clock_time(conversation.window_remaining(now)),
            last_message: conversation.last_message.clone().unwrap_or_default(),
            is_human_takeover: conversation.is_human_takeover(now),
            active: conversation.is_window_open(now),
            whatsapp_number: conversation.party().map(|(number, _)| number.to_owned()).unwrap_or_default(),
            channel: conversation.channel.kind(),
            is_done: conversation.done_at.is_some(),
            usage: ConversationUsageView {
                input_tokens: conversation.input_tokens,
                cached_input_tokens: conversation.cached_input_tokens,
                output_tokens: conversation.output_tokens,
            },
            created_at: timestamp::format(conversation.created_at),
            updated_at: timestamp::format(conversation.updated_at),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageView {
    pub id: MessageId,
    pub direction: Direction,
    #[serde(rename = "type")]
    pub kind: String,
    pub text: Option<String>,
    pub template: Option<String>,
    pub wamid: Option<String>,
    pub status: DeliveryStatus,
    pub error: Option<MessageError>,
    /// The contact's reaction to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reaction: Option<String>,
    pub edited: bool,
    pub deleted: bool,
    /// `agent` or `operator` for outbound messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent_by: Option<&'static str>,
    /// For a reply: the prompt text it was written with (`{"version": n}` or `{"workingCopy": revision}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_used: Option<crate::model::PromptUsed>,
    /// The prefix of the key of the person who wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator_key: Option<String>,
    /// For `direction: tool`: the call, its arguments masked, its status and result.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_call: Option<colloquy_domain::tools::call::ToolCallView>,
    /// An attachment: what it is and what was read of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media: Option<MediaView>,
    /// For a reply the agent wrote: the model and the tokens it took.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<crate::model::TokenUsage>,
    /// For a reply: the knowledge bases' chunks the agent was given (document, heading, page).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub knowledge_used: Vec<colloquy_domain::knowledge::model::KnowledgeRef>,
    pub created_at: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaView {
    pub status: colloquy_domain::media::model::MediaStatus,
    pub mime_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    pub voice: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transcript: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_text: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub document_text_truncated: bool,
    /// Why it could not be fetched, kept or read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// Whether `GET …/media/` can answer it.
    pub downloadable: bool,
}

impl From<&crate::model::MediaRef> for MediaView {
    fn from(media: &crate::model::MediaRef) -> Self {
        Self {
            status: media.status,
            mime_type: media.mime_type.clone(),
            filename: media.filename.clone(),
            caption: media.caption.clone(),
            voice: media.voice,
            size: media.size,
            transcript: media.transcript.clone(),
            seconds: media.seconds,
            document_text: media.document_text.clone(),
            document_text_truncated: media.document_text_truncated,
            failure: media.failure.clone(),
            downloadable: media.key.is_some(),
        }
    }
}

impl From<&Message> for MessageView {
    fn from(message: &Message) -> Self {
        Self {
            id: message.id.clone(),
            direction: message.direction,
            kind: message.kind.as_str().to_owned(),
            text: message.text.clone(),
            template: message.template.clone(),
            wamid: message.wamid.clone(),
            status: message.status,
            error: message.error.clone(),
            reaction: message.reaction.clone(),
            edited: message.edited,
            deleted: message.deleted,
            sent_by: (message.direction == crate::model::Direction::Outbound)
                .then_some(if message.operator_key.is_some() { "operator" } else { "agent" }),
            operator_key: message.operator_key.clone(),
            prompt_used: message.prompt_used,
            tool_call: message
                .tool_call
                .as_ref()
                .map(|call| colloquy_domain::tools::call::ToolCallView::new(message, call)),
            media: message.media.as_ref().map(MediaView::from),
            usage: message.usage.clone(),
            knowledge_used: message.knowledge_used.clone(),
            created_at: timestamp::format(message.created_at),
        }
    }
}
