//! A contact's conversations (an index item per conversation under `CONTACT#<ws>#<waId>`), their
//! erasure, and the erasure's tombstone beside that index.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, WriteRequest};
use time::OffsetDateTime;

use super::{keys, to_item, unavailable, DynamoStore, Item, Record};
use crate::model::{ConversationId, WorkspaceId};
use crate::ports::{ContactStore, ConversationStore, StoreError};
use colloquy_domain::contacts::ErasedConversation;

/// BatchWriteItem takes at most 25 requests.
const BATCH: usize = 25;
/// Times unprocessed deletes are sent again before giving up (the erasure can be asked again).
const BATCH_RETRIES: u32 = 5;

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredErasure {
    #[serde(with = "crate::model::timestamp::iso")]
    erased_at: OffsetDateTime,
}

#[async_trait]
impl ContactStore for DynamoStore {
    async fn contact_conversations(
        &self,
        workspace_id: &WorkspaceId,
        wa_id: &str,
    ) -> Result<Vec<ConversationId>, StoreError> {
        let items = self.all_items(keys::contact_pk(workspace_id, wa_id), keys::CONVERSATION, None).await?;
        let ids = items.into_iter().filter_map(|item| string(&item, "conversationId"));
        Ok(ids.map(ConversationId::from_raw).collect())
    }

    async fn erase_conversation(
        &self,
        workspace_id: &WorkspaceId,
        conversation_id: &ConversationId,
    ) -> Result<ErasedConversation, StoreError> {
        let conversation = self.get_conversation(workspace_id, conversation_id).await?;
        let partition = self.all_items(keys::messages_pk(conversation_id), "", None).await?;
        let mut doomed = Vec::new();
        let mut messages = 0;
        for item in &partition {
            if let Some(wamid) = string(item, "wamid").filter(|w| !w.is_empty()) {
                doomed.push(keys::inbound_wamid(&wamid));
                doomed.push(keys::outbound_wamid(&wamid));
            }
            if string(item, keys::SK).is_some_and(|sk| sk.starts_with(keys::MESSAGE)) {
                messages += 1;
            }
            doomed.extend(key_of(item));
        }
        doomed.push(keys::conversation_listing(workspace_id, conversation_id));
        if let Some((phone_number_id, contact)) = conversation.as_ref().and_then(|c| c.party()) {
            doomed.push(keys::conversation_key(workspace_id, phone_number_id, &contact.wa_id));
            doomed.push(keys::contact_conversation(workspace_id, &contact.wa_id, conversation_id));
        }
        let workspace = keys::workspace_pk(workspace_id);
        let watches = format!("{}{conversation_id}#", keys::APPROVAL_WATCH);
        doomed.extend(self.all_items(workspace.clone(), &watches, None).await?.iter().filter_map(key_of));
        for collection in [keys::EVENT, keys::VIOLATION] {
            let about = Some(("conversationId", conversation_id.as_str()));
            doomed.extend(self.all_items(workspace.clone(), collection, about).await?.iter().filter_map(key_of));
        }
        self.delete_all(doomed).await?;
        Ok(ErasedConversation { messages })
    }

    async fn record_erasure(
        &self,
        workspace_id: &WorkspaceId,
        wa_id: &str,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let item = to_item(&Record::new(keys::contact_erasure(workspace_id, wa_id), StoredErasure { erased_at: at }))?;
        self.client.put_item().table_name(&self.table).set_item(Some(item)).send().await.map_err(unavailable)?;
        Ok(())
    }

    async fn erased_at(&self, workspace_id: &WorkspaceId, wa_id: &str) -> Result<Option<OffsetDateTime>, StoreError> {
        let erasure: Option<Record<StoredErasure>> = self.get(keys::contact_erasure(workspace_id, wa_id)).await?;
        Ok(erasure.map(|record| record.data.erased_at))
    }
}

impl DynamoStore {
    /// Every item of a partition whose sort key starts with `prefix` (all pages), optionally
    /// only those whose `attribute` equals a value.
    pub(super) async fn all_items(
        &self,
        pk: String,
        prefix: &str,
        matching: Option<(&str, &str)>,
    ) -> Result<Vec<Item>, StoreError> {
        self.read_all(pk, prefix, matching, false).await
    }

    /// `all_items`, read consistently: every write acknowledged before is seen.
    pub(super) async fn all_items_consistently(&self, pk: String, prefix: &str) -> Result<Vec<Item>, StoreError> {
        self.read_all(pk, prefix, None, true).await
    }

    async fn read_all(
        &self,
        pk: String,
        prefix: &str,
        matching: Option<(&str, &str)>,
        consistent: bool,
    ) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .consistent_read(consistent)
                .expression_attribute_values(":pk", AttributeValue::S(pk.clone()))
                .set_exclusive_start_key(start.take());
            // DynamoDB refuses an empty prefix: the whole partition is `PK` alone.
            query = match prefix {
                "" => query.key_condition_expression("PK = :pk"),
                prefix => query
                    .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
                    .expression_attribute_values(":prefix", AttributeValue::S(prefix.to_owned())),
            };
            if let Some((attribute, value)) = matching {
                query = query
                    .filter_expression("#attribute = :value")
                    .expression_attribute_names("#attribute", attribute)
                    .expression_attribute_values(":value", AttributeValue::S(value.to_owned()));
            }
            let page = query.send().await.map_err(unavailable)?;
            items.extend(page.items.unwrap_or_default());
            match page.last_evaluated_key {
                Some(last) if !last.is_empty() => start = Some(last),
                _ => return Ok(items),
            }
        }
    }

    /// Deletes every key, 25 to a batch, sending again what DynamoDB left unprocessed.
    pub(super) async fn delete_all(&self, doomed: Vec<(String, String)>) -> Result<(), StoreError> {
        // A batch refuses a key twice.
        let doomed: std::collections::BTreeSet<(String, String)> = doomed.into_iter().collect();
        let mut requests: Vec<WriteRequest> = Vec::new();
        for (pk, sk) in doomed {
            let key = HashMap::from([
                (keys::PK.to_owned(), AttributeValue::S(pk)),
                (keys::SK.to_owned(), AttributeValue::S(sk)),
            ]);
            let delete = DeleteRequest::builder().set_key(Some(key)).build().map_err(super::build_error)?;
            requests.push(WriteRequest::builder().delete_request(delete).build());
        }
        for chunk in requests.chunks(BATCH) {
            let mut pending = chunk.to_vec();
            for _ in 0..BATCH_RETRIES {
                let sent = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, pending)
                    .send()
                    .await
                    .map_err(unavailable)?;
                pending = sent.unprocessed_items.and_then(|mut left| left.remove(&self.table)).unwrap_or_default();
                if pending.is_empty() {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            if !pending.is_empty() {
                return Err(StoreError::Unavailable("DynamoDB left deletes unprocessed; erase again".into()));
            }
        }
        Ok(())
    }
}

fn string(item: &Item, attribute: &str) -> Option<String> {
    item.get(attribute).and_then(|value| value.as_s().ok()).cloned()
}

fn key_of(item: &Item) -> Option<(String, String)> {
    Some((string(item, keys::PK)?, string(item, keys::SK)?))
}
