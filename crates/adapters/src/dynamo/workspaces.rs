use async_trait::async_trait;
use time::OffsetDateTime;

use super::api_keys::key_items;
use super::{keys, to_item, DynamoStore, Record};
use crate::model::{ApiKey, Workspace, WorkspaceId};
use crate::ports::{StoreError, WorkspaceStore};

#[async_trait]
impl WorkspaceStore for DynamoStore {
    async fn create_workspace(
        &self,
        workspace: &Workspace,
        first_key: &ApiKey,
        key_hash: &str,
    ) -> Result<(), StoreError> {
        let mut items = vec![to_item(&Record::new(keys::workspace(&workspace.id), StoredWorkspace::from(workspace)))?];
        items.extend(key_items(first_key, key_hash)?);
        self.put_all_new(items, "workspace").await
    }

    async fn save_workspace(&self, workspace: &Workspace, expected: u64) -> Result<(), StoreError> {
        let record = StoredWorkspace::from(workspace);
        self.put_revised(keys::workspace(&workspace.id), &record, Some(expected), "workspace").await
    }

    async fn get_workspace(&self, id: &WorkspaceId) -> Result<Option<Workspace>, StoreError> {
        self.get_as::<StoredWorkspace, _>(keys::workspace(id)).await
    }
}

record! {
    /// How a workspace is stored (its webhook secret among its attributes).
    StoredWorkspace for Workspace {
        id: WorkspaceId,
        name: String,
        #[serde(with = "crate::model::timestamp::iso")]
        created_at: OffsetDateTime,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        monthly_token_quota: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        webhook_url: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        webhook_secret: Option<String>,
        #[serde(default, skip_serializing_if = "is_zero")]
        webhook_failures: u32,
        #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::model::timestamp::iso_option")]
        webhook_disabled_at: Option<OffsetDateTime>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        webhook_disabled_reason: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retention_days: Option<u32>,
        #[serde(default)]
        revision: u64,
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}
