//! Where the audit log is kept.

use async_trait::async_trait;

use super::AuditEntry;
use crate::model::{Page, PageRequest, WorkspaceId};
use crate::ports::StoreError;

#[async_trait]
pub trait AuditLog: Send + Sync {
    async fn record_audit(&self, entry: &AuditEntry) -> Result<(), StoreError>;
    /// The workspace's entries, newest first.
    async fn list_audit(&self, workspace_id: &WorkspaceId, page: &PageRequest) -> Result<Page<AuditEntry>, StoreError>;
}
