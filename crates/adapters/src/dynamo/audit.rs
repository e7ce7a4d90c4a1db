//! The audit log, in its workspace's partition, kept a year (`expiresAt`).

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{keys, to_item, DynamoStore, Listing, Record};
use crate::model::{Page, PageRequest, WorkspaceId};
use crate::ports::{AuditLog, StoreError};
use colloquy_domain::audit::{AuditEntry, Via, KEPT_DAYS};

/// How an entry is stored.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredAuditEntry {
    id: String,
    workspace_id: WorkspaceId,
    #[serde(with = "crate::model::timestamp::iso")]
    at: OffsetDateTime,
    key_prefix: String,
    via: String,
    action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    target: Option<String>,
}

impl From<&AuditEntry> for StoredAuditEntry {
    fn from(entry: &AuditEntry) -> Self {
        Self {
            id: entry.id.clone(),
            workspace_id: entry.workspace_id.clone(),
            at: entry.at,
            key_prefix: entry.key_prefix.clone(),
            via: entry.via.as_str().to_owned(),
            action: entry.action.clone(),
            target: entry.target.clone(),
        }
    }
}

impl From<StoredAuditEntry> for AuditEntry {
    fn from(stored: StoredAuditEntry) -> Self {
        Self {
            id: stored.id,
            workspace_id: stored.workspace_id,
            at: stored.at,
            key_prefix: stored.key_prefix,
            via: Via::parse(&stored.via).unwrap_or(Via::Api),
            action: stored.action,
            target: stored.target,
        }
    }
}

#[async_trait]
impl AuditLog for DynamoStore {
    async fn record_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let key = keys::audit(&entry.workspace_id, &entry.id);
        let item = to_item(&Record::new(key, StoredAuditEntry::from(entry)))?;
        self.put_new_expiring(item, entry.at + time::Duration::days(KEPT_DAYS), "audit entry").await
    }

    async fn list_audit(&self, workspace_id: &WorkspaceId, page: &PageRequest) -> Result<Page<AuditEntry>, StoreError> {
        let listing = Listing { newest_first: true, ..Listing::default() };
        self.page_as::<StoredAuditEntry, _>(keys::workspace_pk(workspace_id), keys::AUDIT, page, listing).await
    }
}
