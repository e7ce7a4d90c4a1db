use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{keys, to_item, DynamoStore, Item, Listing, Record};
use crate::model::{ApiKey, Page, PageRequest, Role, WorkspaceId};
use crate::ports::{ApiKeyStore, StoreError};

/// The workspace-partition copy of a key also records its hash, so revoking finds the
/// authentication item without a scan.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyListing {
    #[serde(flatten)]
    key: StoredKey,
    key_hash: String,
}

pub(super) fn key_items(key: &ApiKey, hash: &str) -> Result<Vec<Item>, StoreError> {
    let listing = KeyListing { key: StoredKey::from(key), key_hash: hash.to_owned() };
    Ok(vec![
        to_item(&Record::new(keys::api_key_by_hash(hash), StoredKey::from(key)))?,
        to_item(&Record::new(keys::api_key_listing(&key.workspace_id, &key.prefix), &listing))?,
    ])
}

#[async_trait]
impl ApiKeyStore for DynamoStore {
    async fn find_key_by_hash(&self, hash: &str) -> Result<Option<ApiKey>, StoreError> {
        self.get_as::<StoredKey, _>(keys::api_key_by_hash(hash)).await
    }

    async fn insert_key(&self, key: &ApiKey, hash: &str) -> Result<(), StoreError> {
        self.put_all_new(key_items(key, hash)?, "API key").await
    }

    async fn list_keys(&self, workspace_id: &WorkspaceId, page: &PageRequest) -> Result<Page<ApiKey>, StoreError> {
        let listings: Page<KeyListing> =
            self.query_page(keys::workspace_pk(workspace_id), keys::API_KEY_LISTING, page, Listing::default()).await?;
        Ok(listings.map(|listing| listing.key.into()))
    }

    async fn delete_key(&self, workspace_id: &WorkspaceId, prefix: &str) -> Result<bool, StoreError> {
        let listing_key = keys::api_key_listing(workspace_id, prefix);
        let Some(listing) = self.get::<Record<KeyListing>>(listing_key.clone()).await? else {
            return Ok(false);
        };
        let exists = || Some(("attribute_exists(PK)", Vec::new()));
        let items = vec![
            self.delete_item(listing_key, exists())?,
            self.delete_item(keys::api_key_by_hash(&listing.data.key_hash), exists())?,
        ];
        let result = self.transact(items, "API key").await;
        match result {
            Ok(_) => Ok(true),
            // Revoked concurrently by someone else: the key is gone either way.
            Err(StoreError::Conflict(_)) => Ok(false),
            Err(err) => Err(err),
        }
    }
}

record! {
    /// How an API key is stored, beside its hash.
    StoredKey for ApiKey {
        prefix: String,
        workspace_id: WorkspaceId,
        name: String,
        role: Role,
        #[serde(with = "crate::model::timestamp::iso")]
        created_at: OffsetDateTime,
    }
}
