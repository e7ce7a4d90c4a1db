//! Where a contact's data is found, erased, and remembered as erased.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::ErasedConversation;
use crate::model::{ConversationId, WorkspaceId};
use crate::ports::StoreError;

#[async_trait]
pub trait ContactStore: Send + Sync {
    /// The contact's conversations in the workspace, on any number it has had.
    async fn contact_conversations(
        &self,
        workspace_id: &WorkspaceId,
        wa_id: &str,
    ) -> Result<Vec<ConversationId>, StoreError>;
    /// Deletes a conversation and everything that names it: its messages (tool calls, transcripts
    /// and analyses among them), its claims, index entries, wamid pointers, approval watches and
    /// the events and violations about it. Usage counters are not about a contact and stay.
    async fn erase_conversation(
        &self,
        workspace_id: &WorkspaceId,
        conversation_id: &ConversationId,
    ) -> Result<ErasedConversation, StoreError>;
    /// Remembers that the contact was erased at `at`, so that a redelivered older message does
    /// not bring them back.
    async fn record_erasure(
        &self,
        workspace_id: &WorkspaceId,
        wa_id: &str,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    async fn erased_at(&self, workspace_id: &WorkspaceId, wa_id: &str) -> Result<Option<OffsetDateTime>, StoreError>;
}
