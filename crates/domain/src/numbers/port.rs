//! Where business numbers are kept, by Meta's phone number id.

use async_trait::async_trait;

use crate::model::{Page, PageRequest, WhatsAppNumber, WorkspaceId};
use crate::ports::StoreError;

#[async_trait]
pub trait NumberStore: Send + Sync {
    /// `Conflict` when the number is registered already (to this or another workspace).
    async fn register_number(&self, number: &WhatsAppNumber) -> Result<(), StoreError>;
    /// By Meta's id, whichever workspace holds it: what inbound webhooks resolve.
    async fn get_number(&self, phone_number_id: &str) -> Result<Option<WhatsAppNumber>, StoreError>;
    async fn list_numbers(
        &self,
        workspace_id: &WorkspaceId,
        page: &PageRequest,
    ) -> Result<Page<WhatsAppNumber>, StoreError>;
    /// `false` when the workspace has no such number.
    async fn remove_number(&self, workspace_id: &WorkspaceId, phone_number_id: &str) -> Result<bool, StoreError>;
}
