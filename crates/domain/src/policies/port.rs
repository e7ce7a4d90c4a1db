//! Policies and the violations they record.

use async_trait::async_trait;

use crate::model::{Page, PageRequest, PolicyId, WorkspaceId};
use crate::policies::model::{Policy, Violation};
use crate::ports::StoreError;

#[async_trait]
pub trait PolicyStore: Send + Sync {
    /// Creates (`expected_existing = false`) or replaces an existing policy.
    /// A new policy (`expected: None`), or a change over revision `expected`; `Conflict` when the
    /// policy exists (new) or another write came first (change).
    async fn put_policy(&self, policy: &Policy, expected: Option<u64>) -> Result<(), StoreError>;
    async fn get_policy(&self, workspace_id: &WorkspaceId, policy_id: &PolicyId) -> Result<Option<Policy>, StoreError>;
    async fn list_policies(&self, workspace_id: &WorkspaceId, page: &PageRequest) -> Result<Page<Policy>, StoreError>;
    async fn delete_policy(&self, workspace_id: &WorkspaceId, policy_id: &PolicyId) -> Result<bool, StoreError>;
    async fn record_violations(&self, violations: &[Violation]) -> Result<(), StoreError>;
    /// Newest first.
    async fn list_violations(
        &self,
        workspace_id: &WorkspaceId,
        page: &PageRequest,
    ) -> Result<Page<Violation>, StoreError>;
}
