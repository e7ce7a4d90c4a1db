//! Where dead letters are kept.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::DeadLetter;
use crate::model::{Page, PageRequest, WorkspaceId};
use crate::ports::StoreError;

#[async_trait]
pub trait DeadLetterStore: Send + Sync {
    /// Records it once per queue message (`queued_as`): `Conflict` when that message was
    /// recorded already.
    async fn record_dead_letter(&self, dead: &DeadLetter, queued_as: &str) -> Result<(), StoreError>;
    /// The workspace's, newest first.
    async fn list_dead_letters(
        &self,
        workspace_id: &WorkspaceId,
        page: &PageRequest,
    ) -> Result<Page<DeadLetter>, StoreError>;
    async fn get_dead_letter(&self, workspace_id: &WorkspaceId, id: &str) -> Result<Option<DeadLetter>, StoreError>;
    /// Marks it redriven, on condition that it was not already: `Conflict` otherwise.
    async fn mark_redriven(
        &self,
        workspace_id: &WorkspaceId,
        id: &str,
        at: OffsetDateTime,
        by: &str,
    ) -> Result<(), StoreError>;
}
