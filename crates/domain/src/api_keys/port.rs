//! Where API keys are kept, by the hash of the key.

use async_trait::async_trait;

use crate::model::{ApiKey, Page, PageRequest, WorkspaceId};
use crate::ports::StoreError;

#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    async fn find_key_by_hash(&self, hash: &str) -> Result<Option<ApiKey>, StoreError>;
    /// Fails with `Conflict` when the workspace already has a key with this prefix.
    async fn insert_key(&self, key: &ApiKey, hash: &str) -> Result<(), StoreError>;
    async fn list_keys(&self, workspace_id: &WorkspaceId, page: &PageRequest) -> Result<Page<ApiKey>, StoreError>;
    /// Deletes the key; `false` when the workspace has no key with this prefix.
    async fn delete_key(&self, workspace_id: &WorkspaceId, prefix: &str) -> Result<bool, StoreError>;
}
