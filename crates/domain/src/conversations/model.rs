//! Conversations between a business number and a contact, and their messages.

use crate::model::ids::{AgentId, ConversationId, MessageId, WorkspaceId};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// Free-form messages are allowed this long after the contact's last message.
pub const CUSTOMER_SERVICE_WINDOW: Duration = Duration::hours(24);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    pub wa_id: String,
    pub phone_number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// What kind of channel a conversation is on, as the API names it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    #[default]
    Whatsapp,
    /// Only over the HTTP API (Flashback's prompt endpoint): no contact, no 24-hour window.
    Api,
    /// A test run's sandbox: like the API's, and never listed, answered by the live pipeline,
    /// sent to WhatsApp or counted as the workspace's traffic.
    Test,
}

/// Where a conversation happens, with what that channel needs: a WhatsApp conversation always
/// has its business number and its contact, an API one has neither.
#[derive(Debug, Clone, PartialEq)]
pub enum Channel {
    WhatsApp {
        phone_number_id: String,
        contact: Contact,
    },
    Api,
    /// A scenario of a test run (`test_suites::scenario`).
    Test,
}

impl Channel {
    pub fn kind(&self) -> ChannelKind {
        match self {
            Channel::WhatsApp { .. } => ChannelKind::Whatsapp,
            Channel::Api => ChannelKind::Api,
            Channel::Test => ChannelKind::Test,
        }
    }

    pub fn is_test(&self) -> bool {
        matches!(self, Channel::Test)
    }

    pub fn is_whatsapp(&self) -> bool {
        matches!(self, Channel::WhatsApp { .. })
    }
}

/// A conversation between the business and a contact (or an API client), its agent and its state.
/// How it is stored is the store's business (`colloquy_adapters::dynamo`).
#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    pub id: ConversationId,
    pub workspace_id: WorkspaceId,
    /// WhatsApp (with its business number and contact), or the API alone.
    pub channel: Channel,
    pub agent_id: AgentId,
    /// A new agent starts a new session; the worker's history starts at the session's start.
    pub session: u32,
    pub session_started_at: OffsetDateTime,
    pub last_inbound_at: Option<OffsetDateTime>,
    pub last_message: Option<String>,
    pub takeover_until: Option<OffsetDateTime>,
    pub revision: u64,
    /// LLM tokens spent in this conversation; `cached_input_tokens` is the part of the input
    /// read from the provider's prompt cache.
    pub input_tokens: u64,
    pub cached_input_tokens: u64,
    pub output_tokens: u64,
    /// When the next follow-up is due; none while the contact has the last word.
    pub follow_up_due_at: Option<OffsetDateTime>,
    /// Follow-ups sent since the contact last wrote.
    pub follow_ups_sent: u32,
    /// Marked done by an operator; the contact writing again reopens it.
    pub done_at: Option<OffsetDateTime>,
    /// When the agent's analysis is due after a silence (the sparse `ScheduledWork` index).
    pub analysis_due_at: Option<OffsetDateTime>,
    /// The latest analysis of the transcript.
    pub analysis: Option<crate::analysis::model::Analysis>,
    /// When a reply last could not be made or delivered; cleared by the next reply written.
    pub reply_failed_at: Option<OffsetDateTime>,
    /// Who took it over (the key's prefix), while `takeover_until` is set.
    pub taken_over_by: Option<String>,
    /// Who marked it done (the key's prefix), while `done_at` is set.
    pub done_by: Option<String>,
    /// The version its agent's traffic split gave it, kept for its life.
    pub prompt_arm: Option<PromptArm>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// The prompt version a split gave a conversation, and the label it came through (if any).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PromptArm {
    pub version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<crate::prompts::labels::LabelName>,
}

impl Conversation {
    /// A new conversation between a business number and a contact, answered by `agent_id`.
    pub fn start(
        number: &crate::model::WhatsAppNumber,
        contact: Contact,
        agent_id: AgentId,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            channel: Channel::WhatsApp { phone_number_id: number.phone_number_id.clone(), contact },
            ..Self::start_api(&number.workspace_id, agent_id, now)
        }
    }

    /// An API-only conversation for `workspace_id`, answered by `agent_id`: no number, no contact.
    pub fn start_api(workspace_id: &WorkspaceId, agent_id: AgentId, now: OffsetDateTime) -> Self {
        Self {
            id: ConversationId::generate(),
            channel: Channel::Api,
            workspace_id: workspace_id.clone(),
            agent_id,
            session: 1,
            session_started_at: now,
            last_inbound_at: None,
            last_message: None,
            takeover_until: None,
            revision: 1,
            input_tokens: 0,
            cached_input_tokens: 0,
            output_tokens: 0,
            follow_up_due_at: None,
            follow_ups_sent: 0,
            done_at: None,
            analysis_due_at: None,
            analysis: None,
            reply_failed_at: None,
            taken_over_by: None,
            done_by: None,
            prompt_arm: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// A test run's sandbox conversation, answered by `agent_id` with the version it is pinned to.
    pub fn start_test(
        workspace_id: &WorkspaceId,
        agent_id: AgentId,
        arm: Option<PromptArm>,
        now: OffsetDateTime,
    ) -> Self {
        Self { channel: Channel::Test, prompt_arm: arm, ..Self::start_api(workspace_id, agent_id, now) }
    }

    /// The next revision of this conversation, changed at `now`: what every conditional write of
    /// a conversation stores (on condition that the stored one is still at `self.revision`).
    pub fn revised(&self, now: OffsetDateTime) -> Self {
        Self { revision: self.revision + 1, updated_at: now, ..self.clone() }
    }

    /// LLM calls made for this conversation spent `tokens`.
    /// (A test conversation's tokens are counted apart in the workspace's usage, and here as any.)
    pub fn spent(&mut self, tokens: &crate::usage::model::Tokens) {
        self.input_tokens += tokens.input_tokens + tokens.test_input_tokens;
        self.cached_input_tokens += tokens.cached_input_tokens;
        self.output_tokens += tokens.output_tokens + tokens.test_output_tokens;
    }

    /// The contact wrote (at `sent_at`): the window opens again, and no follow-up is due and the
    /// conversation is no longer done until the agent has the last word again. The store's
    /// one-write path for known contacts (`ConversationStore::record_inbound`) makes the same
    /// change in its update expression; `tests/e2e/follow_ups.rs` holds the two together.
    pub fn contact_wrote(&mut self, sent_at: OffsetDateTime, preview: String, contact_name: Option<&str>) {
        self.last_inbound_at = Some(self.last_inbound_at.map_or(sent_at, |last| last.max(sent_at)));
        self.last_message = Some(preview);
        self.follow_up_due_at = None;
        self.follow_ups_sent = 0;
        self.done_at = None;
        self.done_by = None;
        if let (Some(name), Channel::WhatsApp { contact, .. }) = (contact_name, &mut self.channel) {
            contact.name = Some(name.to_owned());
        }
    }

    /// The business number and the contact of a WhatsApp conversation.
    pub fn party(&self) -> Option<(&str, &Contact)> {
        match &self.channel {
            Channel::WhatsApp { phone_number_id, contact } => Some((phone_number_id, contact)),
            Channel::Api | Channel::Test => None,
        }
    }

    /// The contact of a WhatsApp conversation.
    pub fn contact(&self) -> Option<&Contact> {
        self.party().map(|(_, contact)| contact)
    }

    pub fn window_closes_at(&self) -> Option<OffsetDateTime> {
        self.last_inbound_at.map(|at| at + CUSTOMER_SERVICE_WINDOW)
    }

    /// Time left of the 24-hour customer-service window; zero when it is closed.
    pub fn window_remaining(&self, now: OffsetDateTime) -> Duration {
        self.window_closes_at().map(|closes| closes - now).filter(|left| left.is_positive()).unwrap_or(Duration::ZERO)
    }

    /// API-only and test conversations have no window.
    pub fn is_window_open(&self, now: OffsetDateTime) -> bool {
        !self.channel.is_whatsapp() || self.window_remaining(now).is_positive()
    }

    pub fn is_human_takeover(&self, now: OffsetDateTime) -> bool {
        self.takeover_until.is_some_and(|until| until > now)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Inbound,
    Outbound,
    /// An operator's instruction to the agent (Wassist's prompt endpoint); never sent.
    Operator,
    /// A call the agent made to a tool.
    Tool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    Received,
    Pending,
    Sent,
    Delivered,
    Read,
    Failed,
    /// Deliberately not sent; `error` says why (takeover, closed window).
    Skipped,
}

impl DeliveryStatus {
    /// Statuses only move forward: a late `delivered` does not undo `read`.
    pub fn rank(self) -> u8 {
        match self {
            DeliveryStatus::Received | DeliveryStatus::Pending | DeliveryStatus::Skipped => 0,
            DeliveryStatus::Sent => 1,
            DeliveryStatus::Delivered => 2,
            DeliveryStatus::Read => 3,
            DeliveryStatus::Failed => 4,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenUsage {
    pub input_tokens: u64,
    /// Of `input_tokens`, those read from the provider's prompt cache.
    #[serde(default)]
    pub cached_input_tokens: u64,
    pub output_tokens: u64,
    pub model: String,
}

impl TokenUsage {
    pub fn of(answer: &crate::ports::ChatReply) -> Self {
        Self {
            input_tokens: answer.input_tokens,
            cached_input_tokens: answer.cached_input_tokens,
            output_tokens: answer.output_tokens,
            model: answer.model.clone(),
        }
    }
}

/// Why a message failed or was not sent. `code` is Meta's error code when Meta refused it, and
/// 0 otherwise; `reason` says which kind of refusal it was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageError {
    pub code: i64,
    pub message: String,
    #[serde(default)]
    pub reason: ErrorReason,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorReason {
    /// Meta refused or failed the message (`code` is Meta's).
    #[default]
    Whatsapp,
    /// A policy blocked it.
    PolicyBlocked,
    /// Deliberately not sent: a takeover, a closed window, a quota.
    Skipped,
    /// No reply could be made: the LLM refused the request, the number left the workspace…
    Failed,
}

impl MessageError {
    pub fn whatsapp(code: i64, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), reason: ErrorReason::Whatsapp }
    }

    pub fn blocked_by(policy: &str) -> Self {
        Self {
            code: 0,
            message: format!("blocked by the policy `{policy}`: not answered"),
            reason: ErrorReason::PolicyBlocked,
        }
    }

    pub fn skipped(why: impl Into<String>) -> Self {
        Self { code: 0, message: why.into(), reason: ErrorReason::Skipped }
    }

    pub fn failed(why: impl Into<String>) -> Self {
        Self { code: 0, message: why.into(), reason: ErrorReason::Failed }
    }
}

/// What a message is: Meta's message types, and our own for an operator's instruction to the
/// agent and a user turn sent through the API. Stored and shown by name; a type Meta adds later
/// is kept as it came.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum MessageKind {
    Text,
    Template,
    /// An operator's instruction to the agent (Wassist's prompt).
    Instruction,
    /// A user turn sent through the API (Flashback's prompt).
    Prompt,
    Image,
    Audio,
    Video,
    Document,
    Sticker,
    Location,
    Contacts,
    Interactive,
    Button,
    Reaction,
    /// A notice from WhatsApp (the contact changed number…): recorded, never answered.
    System,
    ToolCall,
    Other(String),
}

impl MessageKind {
    /// A bounded name, for the operators' metrics: the kind's own, or `other` for a type Meta
    /// added that this version does not know.
    pub fn label(&self) -> &'static str {
        match self {
            MessageKind::Text => "text",
            MessageKind::Template => "template",
            MessageKind::Instruction => "instruction",
            MessageKind::Prompt => "prompt",
            MessageKind::Image => "image",
            MessageKind::Audio => "audio",
            MessageKind::Video => "video",
            MessageKind::Document => "document",
            MessageKind::Sticker => "sticker",
            MessageKind::Location => "location",
            MessageKind::Contacts => "contacts",
            MessageKind::Interactive => "interactive",
            MessageKind::Button => "button",
            MessageKind::Reaction => "reaction",
            MessageKind::System => "system",
            MessageKind::ToolCall => "tool_call",
            MessageKind::Other(_) => "other",
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            MessageKind::Other(name) => name,
            known => known.label(),
        }
    }
}

impl From<&str> for MessageKind {
    fn from(name: &str) -> Self {
        match name {
            "text" => MessageKind::Text,
            "template" => MessageKind::Template,
            "instruction" => MessageKind::Instruction,
            "prompt" => MessageKind::Prompt,
            "image" => MessageKind::Image,
            "audio" => MessageKind::Audio,
            "video" => MessageKind::Video,
            "document" => MessageKind::Document,
            "sticker" => MessageKind::Sticker,
            "location" => MessageKind::Location,
            "contacts" => MessageKind::Contacts,
            "interactive" => MessageKind::Interactive,
            "button" => MessageKind::Button,
            "reaction" => MessageKind::Reaction,
            "system" => MessageKind::System,
            "tool_call" => MessageKind::ToolCall,
            other => MessageKind::Other(other.to_owned()),
        }
    }
}

impl From<String> for MessageKind {
    fn from(name: String) -> Self {
        MessageKind::from(name.as_str())
    }
}

impl From<MessageKind> for String {
    fn from(kind: MessageKind) -> Self {
        kind.as_str().to_owned()
    }
}

#[derive(Debug, Clone, PartialEq)]
/// How a message is kept is the adapters' business (`StoredMessage`): this is what it is.
pub struct Message {
    /// Time-ordered, so that a conversation's messages sort by time.
    pub id: MessageId,
    pub conversation_id: ConversationId,
    pub direction: Direction,
    pub kind: MessageKind,
    pub text: Option<String>,
    pub template: Option<String>,
    pub wamid: Option<String>,
    pub status: DeliveryStatus,
    pub error: Option<MessageError>,
    pub media: Option<crate::media::model::MediaRef>,
    pub usage: Option<TokenUsage>,
    /// Every wamid the message went out as (a long reply is split into several).
    pub sent_parts: Vec<String>,
    /// The next part was sent but Meta's answer was lost: it is sent again only if no status
    /// names it in time.
    pub unconfirmed_part: Option<UnconfirmedPart>,
    /// The contact's reaction to this message (an emoji), if any.
    pub reaction: Option<String>,
    /// The contact edited it: `text` is the corrected text.
    pub edited: bool,
    /// The contact deleted it: its text is gone and the agent never sees it.
    pub deleted: bool,
    /// For a reply: which prompt text the agent answered with.
    pub prompt_used: Option<PromptUsed>,
    /// An outbound message a person wrote (during a takeover), by the key's prefix; `None` for
    /// the agent's.
    pub operator_key: Option<String>,
    /// A call the agent made to a tool (`direction: tool`).
    pub tool_call: Option<crate::tools::call::ToolCall>,
    /// For a reply: the knowledge bases' chunks the agent was given for it.
    pub knowledge_used: Vec<crate::knowledge::model::KnowledgeRef>,
    pub created_at: OffsetDateTime,
}

/// A part of a reply whose send may have reached Meta: its status webhook, naming it by
/// `biz_opaque_callback_data`, confirms it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnconfirmedPart {
    /// Which part (0 is the first).
    pub index: u32,
    #[serde(with = "crate::model::timestamp::iso")]
    pub since: OffsetDateTime,
}

impl UnconfirmedPart {
    /// What the part is sent with, and Meta gives back in its statuses.
    pub fn callback(conversation_id: &ConversationId, message_id: &MessageId, index: u32) -> String {
        format!("{conversation_id}:{message_id}:{index}")
    }

    /// The conversation, message and part a callback names.
    pub fn parse_callback(text: &str) -> Option<(ConversationId, MessageId, u32)> {
        let mut parts = text.splitn(3, ':');
        let (conversation, message, index) = (parts.next()?, parts.next()?, parts.next()?);
        let ids_are_ours = crate::model::ids::is_id(conversation) && crate::model::ids::is_id(message);
        let index = index.parse().ok().filter(|_| ids_are_ours)?;
        Some((ConversationId::from_raw(conversation), MessageId::from_raw(message), index))
    }
}

impl Message {
    /// A message with only the fields every kind has.
    pub fn new(
        conversation_id: &ConversationId,
        direction: Direction,
        kind: MessageKind,
        status: DeliveryStatus,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            id: MessageId::generate(),
            conversation_id: conversation_id.to_owned(),
            direction,
            kind,
            text: None,
            template: None,
            wamid: None,
            status,
            error: None,
            media: None,
            usage: None,
            sent_parts: Vec::new(),
            unconfirmed_part: None,
            reaction: None,
            edited: false,
            deleted: false,
            operator_key: None,
            prompt_used: None,
            tool_call: None,
            knowledge_used: Vec::new(),
            created_at: now,
        }
    }
}

impl Message {
    /// Whether the agent reads it: not deleted by the contact, not a WhatsApp notice.
    pub fn for_the_agent(&self) -> bool {
        !self.deleted && self.kind != MessageKind::System
    }
}

/// Which prompt text a reply was written with, so a conversation traces to the exact text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PromptUsed {
    /// A captured version (agents pinned to one).
    Version(u32),
    /// The working copy at this revision (agents that follow the latest).
    WorkingCopy(u64),
}

/// What the contact did to a message after sending it.
#[derive(Debug, Clone, PartialEq)]
pub enum Amendment {
    /// Reacted with an emoji; `None` took the reaction back.
    Reaction(Option<String>),
    /// Edited it to this text. `blocked_by` names the input policy that blocks the new text: the
    /// message is then marked blocked, and the agent and analyses never read it.
    Edited { text: String, blocked_by: Option<String> },
    /// Deleted it for everyone.
    Revoked,
}

impl Amendment {
    /// Whether the contact may make this amendment to a message the business sent: a reaction
    /// is the contact's own and changes no words; an edit or a delete would rewrite the
    /// business's words, so only the contact's own messages take them.
    pub fn may_touch_the_business_s_message(&self) -> bool {
        matches!(self, Amendment::Reaction(_))
    }
}

/// A short, single-line summary of a message for lists.
pub fn preview(text: &str) -> String {
    const MAX: usize = 200;
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > MAX {
        format!("{}…", line.chars().take(MAX).collect::<String>())
    } else {
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_reaction_may_touch_a_message_the_business_sent() {
        assert!(Amendment::Reaction(Some("👍".into())).may_touch_the_business_s_message());
        assert!(Amendment::Reaction(None).may_touch_the_business_s_message());
        assert!(!Amendment::Edited { text: "x".into(), blocked_by: None }.may_touch_the_business_s_message());
        assert!(!Amendment::Revoked.may_touch_the_business_s_message());
    }

    #[test]
    fn an_api_only_conversation_has_no_number_and_no_contact() {
        let conversation = Conversation::start_api(&"ws_1".into(), "agt_1".into(), OffsetDateTime::UNIX_EPOCH);
        assert_eq!((&conversation.channel, conversation.party()), (&Channel::Api, None));
        assert!(conversation.contact().is_none());
    }
}
