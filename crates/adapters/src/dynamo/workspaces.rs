use async_trait::async_trait;
use serde::{Deserialize, Serialize};
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
        let record: Option<Record<StoredWorkspace>> = self.get(keys::workspace(id)).await?;
        Ok(record.map(|record| record.data.into()))
    }
}

/// How a workspace is stored (its webhook secret among its attributes).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct StoredWorkspace {
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
    #[serde(default)]
    revision: u64,
}

impl From<&Workspace> for StoredWorkspace {
    fn from(workspace: &Workspace) -> Self {
        let Workspace { id, name, created_at, monthly_token_quota, webhook_url, webhook_secret, revision } =
            workspace.clone();
        Self { id, name, created_at, monthly_token_quota, webhook_url, webhook_secret, revision }
    }
}

impl From<StoredWorkspace> for Workspace {
    fn from(stored: StoredWorkspace) -> Self {
        let StoredWorkspace { id, name, created_at, monthly_token_quota, webhook_url, webhook_secret, revision } =
            stored;
        Self { id, name, created_at, monthly_token_quota, webhook_url, webhook_secret, revision }
    }
}
