//! A contact's data, on request: everything Colloquy holds about a contact in a workspace, as
//! one document, and its erasure (GDPR article 17). An erasure leaves a tombstone, so that Meta
//! redelivering a message the contact sent before it does not bring them back; a message they
//! send afterwards starts afresh.

pub mod port;

use serde::Serialize;
use time::OffsetDateTime;

use crate::events::model::{EventData, EventType};
use crate::events::{emit_about_workspace, EventPorts};
use crate::model::{Conversation, ConversationId, Message, PageRequest, Principal};
use crate::ports::{ConversationStore, MediaStore};
use crate::AppError;

pub use port::ContactStore;

/// A WhatsApp id is the contact's number in digits: at most 15 (E.164), a little slack.
const MAX_WA_ID_DIGITS: usize = 20;
/// An export holds at most this many messages; past it, `truncated`.
pub const MAX_EXPORTED_MESSAGES: usize = 10_000;

/// A contact's WhatsApp id, as Meta sends it (digits only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaId(String);

impl WaId {
    pub fn parse(text: &str) -> Result<Self, String> {
        let digits = text.strip_prefix('+').unwrap_or(text);
        if digits.is_empty() || digits.len() > MAX_WA_ID_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("must be the contact's WhatsApp id: digits only, at most {MAX_WA_ID_DIGITS}"));
        }
        Ok(Self(digits.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last four digits, for what outlives the erasure (the audit log, the event).
    pub fn masked(&self) -> String {
        let tail: String = self.0.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
        format!("…{tail}")
    }
}

/// What was erased of one conversation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ErasedConversation {
    pub messages: u32,
}

/// What an erasure removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Erasure {
    pub erased_at: Option<OffsetDateTime>,
    pub conversations: u32,
    pub messages: u32,
    pub media_objects: u32,
}

/// `contact.erased`: a contact's data was erased on request.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactErased {
    /// The last four digits only: the event outlives the erasure.
    pub contact: String,
    pub conversations: u32,
    pub messages: u32,
}

impl EventData for ContactErased {
    const TYPE: EventType = EventType::ContactErased;
}

/// The ports an erasure touches.
#[derive(Clone, Copy)]
pub struct ErasurePorts<'a> {
    pub contacts: &'a dyn ContactStore,
    pub media: &'a dyn MediaStore,
    pub events: EventPorts<'a>,
}

/// Erases everything of the contact in the caller's workspace. Idempotent: again, it finds
/// nothing more. The tombstone is written first, so a message redelivered meanwhile is dropped.
pub async fn erase(ports: &ErasurePorts<'_>, principal: &Principal, wa_id: &WaId) -> Result<Erasure, AppError> {
    let workspace_id = &principal.workspace_id;
    let now = ports.events.clock.now();
    ports.contacts.record_erasure(workspace_id, wa_id.as_str(), now).await?;
    let mut erasure = Erasure { erased_at: Some(now), ..Erasure::default() };
    for conversation_id in ports.contacts.contact_conversations(workspace_id, wa_id.as_str()).await? {
        let prefix = format!("media/{workspace_id}/{conversation_id}/");
        erasure.media_objects += ports
            .media
            .delete_under(&prefix)
            .await
            .map_err(|err| AppError::Internal(format!("the contact's media could not be erased: {err}")))?;
        let erased = ports.contacts.erase_conversation(workspace_id, &conversation_id).await?;
        erasure.conversations += 1;
        erasure.messages += erased.messages;
    }
    tracing::info!(workspace = %workspace_id, conversations = erasure.conversations, "contact erased on request");
    let data =
        ContactErased { contact: wa_id.masked(), conversations: erasure.conversations, messages: erasure.messages };
    emit_about_workspace(&ports.events, workspace_id, &data).await;
    Ok(erasure)
}

/// One conversation of a contact, with its messages, oldest first.
pub struct ExportedConversation {
    pub conversation: Conversation,
    pub messages: Vec<Message>,
}

pub struct Export {
    pub conversations: Vec<ExportedConversation>,
    /// Past `MAX_EXPORTED_MESSAGES`: the oldest of the rest were left out.
    pub truncated: bool,
}

/// Everything held about the contact in the caller's workspace.
pub async fn export(
    contacts: &dyn ContactStore,
    conversations: &dyn ConversationStore,
    principal: &Principal,
    wa_id: &WaId,
) -> Result<Export, AppError> {
    let workspace_id = &principal.workspace_id;
    let mut export = Export { conversations: Vec::new(), truncated: false };
    let mut budget = MAX_EXPORTED_MESSAGES;
    for conversation_id in contacts.contact_conversations(workspace_id, wa_id.as_str()).await? {
        let Some(conversation) = conversations.get_conversation(workspace_id, &conversation_id).await? else {
            continue;
        };
        let (messages, truncated) = all_messages(conversations, &conversation_id, budget).await?;
        budget -= messages.len();
        export.truncated |= truncated;
        export.conversations.push(ExportedConversation { conversation, messages });
    }
    Ok(export)
}

/// The conversation's messages (the newest `budget`), oldest first; whether some were left out.
async fn all_messages(
    conversations: &dyn ConversationStore,
    conversation_id: &ConversationId,
    budget: usize,
) -> Result<(Vec<Message>, bool), AppError> {
    let mut messages = Vec::new();
    let mut cursor = None;
    loop {
        let page = PageRequest { limit: 100, cursor };
        let page = conversations.list_messages(conversation_id, &page).await?;
        for message in page.items {
            if messages.len() >= budget {
                messages.reverse();
                return Ok((messages, true));
            }
            messages.push(message);
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => {
                // The store lists newest first.
                messages.reverse();
                return Ok((messages, false));
            }
        }
    }
}
