//! Conversations and their messages: the reply pipeline's and the webhook's store.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::model::{
    Amendment, Conversation, ConversationId, DeliveryStatus, Message, MessageError, MessageId, Page, PageRequest,
    WorkspaceId,
};
use crate::ports::StoreError;
use crate::usage::model::UsageDelta;

#[async_trait]
pub trait ConversationStore: Send + Sync {
    async fn get_conversation(
        &self,
        workspace_id: &WorkspaceId,
        conversation_id: &ConversationId,
    ) -> Result<Option<Conversation>, StoreError>;
    /// The conversation between a business number and a contact, if there is one.
    /// The conversation and its newest `history` messages (newest first), in one read.
    async fn load_conversation(
        &self,
        workspace_id: &WorkspaceId,
        conversation_id: &ConversationId,
        history: u32,
    ) -> Result<Option<(Conversation, Vec<Message>)>, StoreError>;
    async fn find_conversation(
        &self,
        workspace_id: &WorkspaceId,
        phone_number_id: &str,
        wa_id: &str,
    ) -> Result<Option<Conversation>, StoreError>;
    /// Writes the conversation (new when `expected_revision` is `None`, else only if still at
    /// that revision) and the messages, all or nothing.
    async fn save_conversation(
        &self,
        conversation: &Conversation,
        expected_revision: Option<u64>,
        messages: &[Message],
    ) -> Result<(), StoreError>;
    /// Stores an inbound message, claiming its wamid so that a redelivery stores nothing:
    /// `Conflict` when the wamid was seen or the conversation moved.
    async fn save_inbound(
        &self,
        conversation: &Conversation,
        expected_revision: Option<u64>,
        message: &Message,
    ) -> Result<(), StoreError>;
    async fn inbound_seen(&self, wamid: &str) -> Result<bool, StoreError>;
    /// The common case of an inbound message, in one conditional write and no read: the message
    /// and its wamid claim, and the conversation's inbound fields updated in place. `Conflict` when
    /// the wamid was seen, the conversation is gone, or a newer message was recorded already.
    async fn record_inbound(
        &self,
        conversation: &ConversationRef,
        update: &InboundUpdate,
        message: &Message,
    ) -> Result<(), StoreError>;
    /// The inbound message stored for a wamid.
    async fn find_inbound(&self, wamid: &str) -> Result<Option<MessageRef>, StoreError>;
    /// Records what the contact did to a stored message; `false` when there is no such message.
    async fn amend_message(&self, target: &MessageRef, amendment: &Amendment) -> Result<bool, StoreError>;
    /// Writes a sent (or failed) outbound message and indexes its wamids for status updates.
    async fn record_delivery(&self, workspace_id: &WorkspaceId, message: &Message) -> Result<(), StoreError>;
    async fn find_outbound(&self, wamid: &str) -> Result<Option<OutboundRef>, StoreError>;
    /// Moves a message's status forward (never back); `false` when it was already as far.
    async fn advance_status(
        &self,
        conversation_id: &ConversationId,
        message_id: &MessageId,
        status: DeliveryStatus,
        error: Option<&MessageError>,
    ) -> Result<bool, StoreError>;
    async fn list_conversations(
        &self,
        workspace_id: &WorkspaceId,
        page: &PageRequest,
    ) -> Result<Page<Conversation>, StoreError>;
    /// A reply to the conversation could not be made or delivered: the console's inbox says so
    /// (and its activity moves) until the next reply is written.
    async fn mark_reply_failed(
        &self,
        workspace_id: &WorkspaceId,
        conversation_id: &ConversationId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// The workspace's conversations, newest activity first, at most `limit`.
    async fn recent_conversations(
        &self,
        workspace_id: &WorkspaceId,
        limit: u32,
    ) -> Result<Vec<Conversation>, StoreError>;
    /// A marker of the workspace's newest activity: it changes whenever any conversation does.
    async fn latest_activity(&self, workspace_id: &WorkspaceId) -> Result<Option<String>, StoreError>;
    /// A stored reply with its token usage added, atomically, to the day's counters of the
    /// workspace and of the agent, in the same write as the conversation and the message.
    async fn save_reply(
        &self,
        conversation: &Conversation,
        expected_revision: u64,
        message: &Message,
        usage: &UsageDelta,
    ) -> Result<(), StoreError>;
    /// The conversation (conditional on its revision) and an analysis's tokens, in one write.
    async fn save_analysis(
        &self,
        conversation: &Conversation,
        expected_revision: u64,
        usage: &UsageDelta,
    ) -> Result<(), StoreError>;
    /// Newest first.
    async fn list_messages(
        &self,
        conversation_id: &ConversationId,
        page: &PageRequest,
    ) -> Result<Page<Message>, StoreError>;
    /// What was kept and read of an inbound message's media, a policy's block of what was read,
    /// and the transcription's seconds, in one write — only while the media is still pending
    /// (`Conflict` otherwise).
    async fn save_media(&self, update: &MediaUpdate) -> Result<(), StoreError>;
    async fn get_message(
        &self,
        conversation_id: &ConversationId,
        message_id: &MessageId,
    ) -> Result<Option<Message>, StoreError>;
}

/// A processed attachment, for `save_media`.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaUpdate {
    pub conversation_id: ConversationId,
    pub message_id: MessageId,
    pub media: crate::model::MediaRef,
    pub blocked: Option<MessageError>,
    pub usage: Option<UsageDelta>,
}

/// A conversation, by its workspace and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationRef {
    pub workspace_id: WorkspaceId,
    pub conversation_id: ConversationId,
}

/// What an inbound message changes on its conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundUpdate {
    /// When the contact sent it (the 24-hour window starts again).
    pub sent_at: OffsetDateTime,
    pub preview: String,
    pub contact_name: Option<String>,
    pub now: OffsetDateTime,
}

/// A stored message, by its conversation and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRef {
    pub conversation_id: ConversationId,
    pub message_id: MessageId,
}

/// Where an outbound message with a given wamid lives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboundRef {
    pub workspace_id: WorkspaceId,
    pub conversation_id: ConversationId,
    pub message_id: MessageId,
}
