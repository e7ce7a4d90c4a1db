use async_trait::async_trait;

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
        let mut items = vec![to_item(&Record::new(keys::workspace(&workspace.id), workspace))?];
        items.extend(key_items(first_key, key_hash)?);
        self.put_all_new(items, "workspace").await
    }

    async fn save_workspace(&self, workspace: &Workspace, expected: u64) -> Result<(), StoreError> {
        self.put_revised(keys::workspace(&workspace.id), workspace, Some(expected), "workspace").await
    }

    async fn get_workspace(&self, id: &WorkspaceId) -> Result<Option<Workspace>, StoreError> {
        let record: Option<Record<Workspace>> = self.get(keys::workspace(id)).await?;
        Ok(record.map(|record| record.data))
    }
}
