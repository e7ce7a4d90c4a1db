//! Workspaces and what hangs off them: API keys, console sessions, token usage.

use async_trait::async_trait;

use super::StoreError;
use crate::model::console_session::ConsoleSession;
use crate::model::usage::UsageRow;
use crate::model::{ApiKey, Page, PageRequest, Workspace, WorkspaceId};

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

#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    async fn find_key_by_hash(&self, hash: &str) -> Result<Option<ApiKey>, StoreError>;
    /// Fails with `Conflict` when the workspace already has a key with this prefix.
    async fn insert_key(&self, key: &ApiKey, hash: &str) -> Result<(), StoreError>;
    async fn list_keys(&self, workspace_id: &WorkspaceId, page: &PageRequest) -> Result<Page<ApiKey>, StoreError>;
    /// Deletes the key; `false` when the workspace has no key with this prefix.
    async fn delete_key(&self, workspace_id: &WorkspaceId, prefix: &str) -> Result<bool, StoreError>;
}

/// Console sign-ins, by the hash of their secret; the table forgets them after they expire.
#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn create_session(&self, session: &ConsoleSession) -> Result<(), StoreError>;
    async fn get_session(&self, secret_hash: &str) -> Result<Option<ConsoleSession>, StoreError>;
    async fn delete_session(&self, secret_hash: &str) -> Result<(), StoreError>;
}

/// The token counters replies and analyses add to (in the same write as the conversation).
#[async_trait]
pub trait UsageStore: Send + Sync {
    /// Daily counters from `from` to `to` (inclusive, `yyyy-mm-dd`); per agent when `by_agent`.
    async fn usage(
        &self,
        workspace_id: &WorkspaceId,
        from: &str,
        to: &str,
        by_agent: bool,
    ) -> Result<Vec<UsageRow>, StoreError>;
}
