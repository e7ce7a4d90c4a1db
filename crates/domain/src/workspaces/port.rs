//! Where workspaces are kept.

use async_trait::async_trait;

use crate::model::{ApiKey, Workspace, WorkspaceId};
use crate::ports::StoreError;

#[async_trait]
pub trait WorkspaceStore: Send + Sync {
    /// Creates the workspace and its first key in one atomic write.
    async fn create_workspace(
        &self,
        workspace: &Workspace,
        first_key: &ApiKey,
        key_hash: &str,
    ) -> Result<(), StoreError>;
    async fn get_workspace(&self, id: &WorkspaceId) -> Result<Option<Workspace>, StoreError>;
    /// Replaces the workspace's settings (quota, webhook).
    /// Stores `workspace` over revision `expected` (its `revision` is `expected + 1`); `Conflict`
    /// when another write came first.
    async fn save_workspace(&self, workspace: &Workspace, expected: u64) -> Result<(), StoreError>;
}
