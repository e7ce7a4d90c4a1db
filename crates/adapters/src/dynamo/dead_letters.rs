//! Dead letters, in their workspace's partition, kept as long as the dead-letter queue keeps
//! its messages (`expiresAt`).

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use time::OffsetDateTime;

use super::{keys, to_item, DynamoStore, Item, Listing, Record};
use crate::model::{Page, PageRequest, WorkspaceId};
use crate::ports::{DeadLetterStore, StoreError, Trigger};
use colloquy_domain::dead_letters::{DeadLetter, KEPT_DAYS};

record! {
    /// How a dead letter is stored: the trigger as it was queued, and why it died.
    StoredDeadLetter for DeadLetter {
        id: String,
        workspace_id: WorkspaceId,
        trigger: Trigger,
        reason: String,
        receive_count: u32,
        #[serde(with = "crate::model::timestamp::iso")]
        dead_at: OffsetDateTime,
        #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::model::timestamp::iso_option")]
        redriven_at: Option<OffsetDateTime>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        redriven_by: Option<String>,
    }
}

#[async_trait]
impl DeadLetterStore for DynamoStore {
    async fn record_dead_letter(&self, dead: &DeadLetter, queued_as: &str) -> Result<(), StoreError> {
        let expires = AttributeValue::N((dead.dead_at + time::Duration::days(KEPT_DAYS)).unix_timestamp().to_string());
        let mut letter =
            to_item(&Record::new(keys::dead_letter(&dead.workspace_id, &dead.id), StoredDeadLetter::from(dead)))?;
        let (pk, sk) = keys::dead_message(queued_as);
        let mut marker =
            Item::from([(keys::PK.to_owned(), AttributeValue::S(pk)), (keys::SK.to_owned(), AttributeValue::S(sk))]);
        for item in [&mut letter, &mut marker] {
            item.insert("expiresAt".to_owned(), expires.clone());
        }
        self.put_all_new(vec![letter, marker], "dead letter").await
    }

    async fn list_dead_letters(
        &self,
        workspace_id: &WorkspaceId,
        page: &PageRequest,
    ) -> Result<Page<DeadLetter>, StoreError> {
        let listing = Listing { newest_first: true, ..Listing::default() };
        self.page_as::<StoredDeadLetter, _>(keys::workspace_pk(workspace_id), keys::DEAD_LETTER, page, listing).await
    }

    async fn get_dead_letter(&self, workspace_id: &WorkspaceId, id: &str) -> Result<Option<DeadLetter>, StoreError> {
        self.get_as::<StoredDeadLetter, _>(keys::dead_letter(workspace_id, id)).await
    }

    async fn mark_redriven(
        &self,
        workspace_id: &WorkspaceId,
        id: &str,
        at: OffsetDateTime,
        by: &str,
    ) -> Result<(), StoreError> {
        self.update_if(
            keys::dead_letter(workspace_id, id),
            "SET redrivenAt = :at, redrivenBy = :by",
            "attribute_exists(PK) AND attribute_not_exists(redrivenAt)",
            vec![
                (":at", AttributeValue::S(crate::model::timestamp::format(at))),
                (":by", AttributeValue::S(by.to_owned())),
            ],
            "the dead letter was redriven already",
        )
        .await
    }
}
