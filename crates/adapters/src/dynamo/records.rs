//! How a conversation is stored: its item in the table keeps the names and shape it has always
//! had (`channel` with `phoneNumberId` and `contact` beside it), whatever shape the domain gives
//! it. Update expressions (`conversations.rs`) name these attributes.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::model::{AgentId, Channel, ChannelKind, Contact, Conversation, ConversationId, WorkspaceId};
use crate::ports::StoreError;

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
            Channel::Api => (None, None),
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
            output_tokens: c.output_tokens,
            follow_up_due_at: c.follow_up_due_at,
            follow_ups_sent: c.follow_ups_sent,
            done_at: c.done_at,
            analysis_due_at: c.analysis_due_at,
            reply_failed_at: c.reply_failed_at,
            taken_over_by: c.taken_over_by,
            done_by: c.done_by,
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
            output_tokens: stored.output_tokens,
            follow_up_due_at: stored.follow_up_due_at,
            follow_ups_sent: stored.follow_ups_sent,
            done_at: stored.done_at,
            analysis_due_at: stored.analysis_due_at,
            reply_failed_at: stored.reply_failed_at,
            taken_over_by: stored.taken_over_by,
            done_by: stored.done_by,
            analysis: stored.analysis,
            created_at: stored.created_at,
            updated_at: stored.updated_at,
        })
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
}
