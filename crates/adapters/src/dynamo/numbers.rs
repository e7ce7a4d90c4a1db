use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use time::OffsetDateTime;

use super::{keys, to_item, DynamoStore, Listing, Record};
use crate::model::{AgentId, Page, PageRequest, WhatsAppNumber, WorkspaceId};
use crate::ports::{NumberStore, StoreError};

#[async_trait]
impl NumberStore for DynamoStore {
    async fn register_number(&self, number: &WhatsAppNumber) -> Result<(), StoreError> {
        let record = StoredNumber::from(number);
        let items = vec![
            to_item(&Record::new(keys::number(&number.phone_number_id), &record))?,
            to_item(&Record::new(keys::number_listing(&number.workspace_id, &number.phone_number_id), &record))?,
        ];
        self.put_all_new(items, "WhatsApp number").await
    }

    async fn get_number(&self, phone_number_id: &str) -> Result<Option<WhatsAppNumber>, StoreError> {
        self.get_as::<StoredNumber, _>(keys::number(phone_number_id)).await
    }

    async fn list_numbers(
        &self,
        workspace_id: &WorkspaceId,
        page: &PageRequest,
    ) -> Result<Page<WhatsAppNumber>, StoreError> {
        self.page_as::<StoredNumber, _>(
            keys::workspace_pk(workspace_id),
            keys::NUMBER_LISTING,
            page,
            Listing::default(),
        )
        .await
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

record! {
    /// How a business number is stored: under its own key and in its workspace's listing.
    StoredNumber for WhatsAppNumber {
        phone_number_id: String,
        workspace_id: WorkspaceId,
        display_number: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        default_agent_id: Option<AgentId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token_ref: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        waba_id: Option<String>,
        #[serde(with = "crate::model::timestamp::iso")]
        created_at: OffsetDateTime,
    }
}
