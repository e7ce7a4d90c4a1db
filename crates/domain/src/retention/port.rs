//! Where the workspaces that keep messages for a limited time are listed, and old messages found
//! and deleted.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::model::{ConversationId, MessageId, WorkspaceId};
use crate::ports::StoreError;

#[async_trait]
pub trait RetentionStore: Send + Sync {
    /// Lists the workspace among those swept (`Some(days)`), or takes it off (`None`).
    async fn set_retention(&self, workspace_id: &WorkspaceId, days: Option<u32>) -> Result<(), StoreError>;
    /// Workspaces with a retention, and its days, not swept since `since`.
    async fn due_sweeps(&self, since: OffsetDateTime) -> Result<Vec<(WorkspaceId, u32)>, StoreError>;
    /// Takes the workspace's sweep (marks it swept at `now`) on condition that it was not swept
    /// since `since`: `false` when another run has it.
    async fn lease_sweep(
        &self,
        workspace_id: &WorkspaceId,
        since: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    async fn workspace_conversations(&self, workspace_id: &WorkspaceId) -> Result<Vec<ConversationId>, StoreError>;
    /// Deletes the conversation's messages created before `before`: how many, and the ids of
    /// those that had media.
    async fn expire_messages(
        &self,
        conversation_id: &ConversationId,
        before: OffsetDateTime,
    ) -> Result<(u32, Vec<MessageId>), StoreError>;
}
