//! How conversations and messages are stored: their items keep the names and shape they have
//! always had (a conversation's `channel` with `phoneNumberId` and `contact` beside it), whatever
//! shape the domain gives them. Update expressions name these attributes.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::model::{
    AgentId, Channel, ChannelKind, Contact, Conversation, ConversationId, DeliveryStatus, Direction, Message,
    MessageError, MessageId, MessageKind, PromptUsed, TokenUsage, WorkspaceId,
};
use crate::ports::StoreError;

use super::{keys, to_item, Item, Record};

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct StoredConversation {
    id: ConversationId,
    #[serde(default)]
    channel: ChannelKind,
    workspace_id: WorkspaceId,
    /// The business number and the contact; an API-only conversation has neither.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    phone_number_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    contact: Option<Contact>,
    agent_id: AgentId,
    /// A new agent starts a new session; the worker's history starts at the session's start.
    session: u32,
    #[serde(with = "crate::model::timestamp::iso")]
    session_started_at: OffsetDateTime,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::model::timestamp::iso_option")]
    last_inbound_at: Option<OffsetDateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::model::timestamp::iso_option")]
    takeover_until: Option<OffsetDateTime>,
    revision: u64,
    /// LLM tokens spent in this conversation.
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    cached_input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
    /// When the next follow-up is due; none while the contact has the last word.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::model::timestamp::iso_option")]
    follow_up_due_at: Option<OffsetDateTime>,
    /// Follow-ups sent since the contact last wrote.
    #[serde(default)]
    follow_ups_sent: u32,
    /// Marked done by an operator; the contact writing again reopens it.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::model::timestamp::iso_option")]
    done_at: Option<OffsetDateTime>,
    /// When the agent's analysis is due after a silence (the sparse `ScheduledWork` index).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::model::timestamp::iso_option")]
    analysis_due_at: Option<OffsetDateTime>,
    /// The latest analysis of the transcript.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    analysis: Option<colloquy_domain::analysis::model::Analysis>,
    /// A reply could not be made or delivered (`mark_reply_failed` sets it in place).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::model::timestamp::iso_option")]
    reply_failed_at: Option<OffsetDateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    taken_over_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    done_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    prompt_arm: Option<colloquy_domain::conversations::model::PromptArm>,
    #[serde(with = "crate::model::timestamp::iso")]
    created_at: OffsetDateTime,
    #[serde(with = "crate::model::timestamp::iso")]
    updated_at: OffsetDateTime,
}

impl From<&Conversation> for StoredConversation {
    fn from(conversation: &Conversation) -> Self {
        let c = conversation.clone();
        let (phone_number_id, contact) = match c.channel {
            Channel::WhatsApp { phone_number_id, contact } => (Some(phone_number_id), Some(contact)),
            Channel::Api | Channel::Test => (None, None),
        };
        Self {
            id: c.id,
            channel: conversation.channel.kind(),
            workspace_id: c.workspace_id,
            phone_number_id,
            contact,
            agent_id: c.agent_id,
            session: c.session,
            session_started_at: c.session_started_at,
            last_inbound_at: c.last_inbound_at,
            last_message: c.last_message,
            takeover_until: c.takeover_until,
            revision: c.revision,
            input_tokens: c.input_tokens,
            cached_input_tokens: c.cached_input_tokens,
            output_tokens: c.output_tokens,
            follow_up_due_at: c.follow_up_due_at,
            follow_ups_sent: c.follow_ups_sent,
            done_at: c.done_at,
            analysis_due_at: c.analysis_due_at,
            reply_failed_at: c.reply_failed_at,
            taken_over_by: c.taken_over_by,
            done_by: c.done_by,
            prompt_arm: c.prompt_arm,
            analysis: c.analysis,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

impl TryFrom<StoredConversation> for Conversation {
    type Error = StoreError;

    fn try_from(stored: StoredConversation) -> Result<Self, StoreError> {
        let channel = match (stored.channel, stored.phone_number_id, stored.contact) {
            (ChannelKind::Whatsapp, Some(phone_number_id), Some(contact)) => {
                Channel::WhatsApp { phone_number_id, contact }
            }
            (ChannelKind::Api, _, _) => Channel::Api,
            (ChannelKind::Test, _, _) => Channel::Test,
            (ChannelKind::Whatsapp, _, _) => {
                return Err(StoreError::Corrupt(format!(
                    "WhatsApp conversation {} has no number or contact",
                    stored.id
                )))
            }
        };
        Ok(Conversation {
            id: stored.id,
            workspace_id: stored.workspace_id,
            channel,
            agent_id: stored.agent_id,
            session: stored.session,
            session_started_at: stored.session_started_at,
            last_inbound_at: stored.last_inbound_at,
            last_message: stored.last_message,
            takeover_until: stored.takeover_until,
            revision: stored.revision,
            input_tokens: stored.input_tokens,
            cached_input_tokens: stored.cached_input_tokens,
            output_tokens: stored.output_tokens,
            follow_up_due_at: stored.follow_up_due_at,
            follow_ups_sent: stored.follow_ups_sent,
            done_at: stored.done_at,
            analysis_due_at: stored.analysis_due_at,
            reply_failed_at: stored.reply_failed_at,
            taken_over_by: stored.taken_over_by,
            done_by: stored.done_by,
            prompt_arm: stored.prompt_arm,
            analysis: stored.analysis,
            created_at: stored.created_at,
            updated_at: stored.updated_at,
        })
    }
}

/// A message's item, under its key, in its stored shape.
pub(super) fn message_item(message: &Message) -> Result<Item, StoreError> {
    to_item(&Record::new(keys::message(&message.conversation_id, &message.id), StoredMessage::from(message)))
}

/// How a message is stored: its item keeps these names whatever the domain calls them; the
/// update expressions of `conversations.rs`, `media.rs` and `tool_calls.rs` name them (the test
/// below holds the names they use).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct StoredMessage {
    /// Time-ordered, so that a conversation's messages sort by time.
    id: MessageId,
    conversation_id: ConversationId,
    direction: Direction,
    kind: MessageKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    template: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    wamid: Option<String>,
    status: DeliveryStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<MessageError>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    media: Option<colloquy_domain::media::model::MediaRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    usage: Option<TokenUsage>,
    /// Every wamid the message went out as (a long reply is split into several).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    sent_parts: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unconfirmed_part: Option<colloquy_domain::conversations::model::UnconfirmedPart>,
    /// The contact's reaction to this message (an emoji), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reaction: Option<String>,
    /// The contact edited it: `text` is the corrected text.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    edited: bool,
    /// The contact deleted it: its text is gone and the agent never sees it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    deleted: bool,
    /// For a reply: which prompt text the agent answered with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    prompt_used: Option<PromptUsed>,
    /// An outbound message a person wrote (during a takeover), by the key's prefix; `None` for
    /// the agent's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    operator_key: Option<String>,
    /// A call the agent made to a tool (`direction: tool`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tool_call: Option<colloquy_domain::tools::call::ToolCall>,
    /// For a reply: the knowledge bases' chunks the agent was given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    knowledge_used: Vec<colloquy_domain::knowledge::model::KnowledgeRef>,
    #[serde(with = "crate::model::timestamp::iso")]
    created_at: OffsetDateTime,
}

impl From<&Message> for StoredMessage {
    fn from(message: &Message) -> Self {
        let m = message.clone();
        Self {
            id: m.id,
            conversation_id: m.conversation_id,
            direction: m.direction,
            kind: m.kind,
            text: m.text,
            template: m.template,
            wamid: m.wamid,
            status: m.status,
            error: m.error,
            media: m.media,
            usage: m.usage,
            sent_parts: m.sent_parts,
            unconfirmed_part: m.unconfirmed_part,
            reaction: m.reaction,
            edited: m.edited,
            deleted: m.deleted,
            prompt_used: m.prompt_used,
            operator_key: m.operator_key,
            tool_call: m.tool_call,
            knowledge_used: m.knowledge_used,
            created_at: m.created_at,
        }
    }
}

impl From<StoredMessage> for Message {
    fn from(stored: StoredMessage) -> Self {
        Message {
            id: stored.id,
            conversation_id: stored.conversation_id,
            direction: stored.direction,
            kind: stored.kind,
            text: stored.text,
            template: stored.template,
            wamid: stored.wamid,
            status: stored.status,
            error: stored.error,
            media: stored.media,
            usage: stored.usage,
            sent_parts: stored.sent_parts,
            unconfirmed_part: stored.unconfirmed_part,
            reaction: stored.reaction,
            edited: stored.edited,
            deleted: stored.deleted,
            prompt_used: stored.prompt_used,
            operator_key: stored.operator_key,
            tool_call: stored.tool_call,
            knowledge_used: stored.knowledge_used,
            created_at: stored.created_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    fn whatsapp() -> Conversation {
        let mut conversation =
            Conversation::start_api(&"ws_1".into(), "agent_1".into(), time::OffsetDateTime::UNIX_EPOCH);
        let contact = Contact { wa_id: "15551234567".into(), phone_number: "+15551234567".into(), name: None };
        conversation.channel = Channel::WhatsApp { phone_number_id: "100".into(), contact };
        conversation
    }

    fn stored(conversation: &Conversation) -> Value {
        serde_json::to_value(StoredConversation::from(conversation)).unwrap_or_default()
    }

    fn read(item: Value) -> Result<Conversation, StoreError> {
        let stored: StoredConversation =
            serde_json::from_value(item).map_err(|err| StoreError::Corrupt(err.to_string()))?;
        Conversation::try_from(stored)
    }

    #[test]
    fn a_whatsapp_conversation_is_stored_as_it_always_was_and_read_back_the_same() {
        let conversation = whatsapp();
        let item = stored(&conversation);
        assert_eq!(item["channel"], "whatsapp");
        assert_eq!(item["phoneNumberId"], "100");
        assert_eq!(item["contact"]["waId"], "15551234567");
        assert_eq!(read(item).ok(), Some(conversation));
    }

    #[test]
    fn an_api_conversation_has_no_number_or_contact_in_its_item() {
        let conversation = Conversation::start_api(&"ws_1".into(), "agent_1".into(), time::OffsetDateTime::UNIX_EPOCH);
        let item = stored(&conversation);
        assert_eq!(item["channel"], "api");
        assert!(item.get("phoneNumberId").is_none() && item.get("contact").is_none(), "{item}");
        assert_eq!(read(item).ok(), Some(conversation));
    }

    #[test]
    fn an_item_from_before_channels_is_whatsapp_and_one_missing_its_contact_is_corrupt() {
        let mut item = stored(&whatsapp());
        item.as_object_mut().map(|fields| fields.remove("channel"));
        assert!(read(item.clone()).is_ok_and(|c| c.channel.is_whatsapp()), "no `channel`: WhatsApp");
        item.as_object_mut().map(|fields| fields.remove("contact"));
        assert!(matches!(read(item), Err(StoreError::Corrupt(_))));
        assert!(read(json!({"id": 1})).is_err());
    }

    #[test]
    fn a_message_is_stored_under_the_names_the_update_expressions_use_and_read_back_the_same() {
        let at = time::OffsetDateTime::UNIX_EPOCH;
        let mut message =
            Message::new(&"conv_1".into(), Direction::Outbound, MessageKind::Text, DeliveryStatus::Sent, at);
        message.text = Some("Hello".into());
        message.wamid = Some("wamid.1".into());
        message.sent_parts = vec!["wamid.1".into()];
        message.error = Some(MessageError::skipped("why"));
        message.reaction = Some("👍".into());
        message.edited = true;
        message.deleted = true;
        message.operator_key = Some("ck_1".into());
        message.usage =
            Some(TokenUsage { input_tokens: 1, cached_input_tokens: 1, output_tokens: 2, model: "m".into() });
        let item = serde_json::to_value(StoredMessage::from(&message)).unwrap_or_default();
        // `record_delivery`, `advance_status`, `amend_message`, `save_media` and `update_tool_call`
        // name these attributes in their update and condition expressions.
        for name in ["status", "error", "text", "edited", "deleted", "reaction", "wamid", "sentParts"] {
            assert!(item.get(name).is_some(), "`{name}` missing from {item}");
        }
        assert_eq!(
            (&item["conversationId"], &item["createdAt"]),
            (&json!("conv_1"), &json!("1970-01-01T00:00:00.000Z"))
        );
        let read: StoredMessage = serde_json::from_value(item).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(Message::from(read), message);
    }
}
