use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

use super::{keys, to_item, DynamoStore, Listing, Record};
use crate::model::{Page, PageRequest, WhatsAppNumber, WorkspaceId};
use crate::ports::{NumberStore, StoreError};

#[async_trait]
impl NumberStore for DynamoStore {
    async fn register_number(&self, number: &WhatsAppNumber) -> Result<(), StoreError> {
        let items = vec![
            to_item(&Record::new(keys::number(&number.phone_number_id), number))?,
            to_item(&Record::new(keys::number_listing(&number.workspace_id, &number.phone_number_id), number))?,
        ];
        self.put_all_new(items, "WhatsApp number").await
    }

    async fn get_number(&self, phone_number_id: &str) -> Result<Option<WhatsAppNumber>, StoreError> {
        let record: Option<Record<WhatsAppNumber>> = self.get(keys::number(phone_number_id)).await?;
        Ok(record.map(|record| record.data))
    }

    async fn list_numbers(
        &self,
        workspace_id: &WorkspaceId,
        page: &PageRequest,
    ) -> Result<Page<WhatsAppNumber>, StoreError> {
        self.query_page(keys::workspace_pk(workspace_id), keys::NUMBER_LISTING, page, Listing::default()).await
    }

    async fn remove_number(&self, workspace_id: &WorkspaceId, phone_number_id: &str) -> Result<bool, StoreError> {
        let owned_here = || Some(("workspaceId = :ws", vec![(":ws", AttributeValue::S(workspace_id.to_string()))]));
        let items = vec![
            self.delete_item(keys::number_listing(workspace_id, phone_number_id), owned_here())?,
            self.delete_item(keys::number(phone_number_id), owned_here())?,
        ];
        match self.transact(items, "WhatsApp number").await {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict(_)) => Ok(false),
            Err(err) => Err(err),
        }
    }
}
