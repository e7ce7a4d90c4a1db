//! The workspaces with a retention (one item each in the `RETENTION` partition, with when they
//! were last swept), and the deletion of old messages.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use time::OffsetDateTime;

use super::{keys, unavailable, DynamoStore};
use crate::model::timestamp;
use crate::model::{ConversationId, MessageId, WorkspaceId};
use crate::ports::{RetentionStore, StoreError};

#[async_trait]
impl RetentionStore for DynamoStore {
    async fn set_retention(&self, workspace_id: &WorkspaceId, days: Option<u32>) -> Result<(), StoreError> {
        let (pk, sk) = keys::retention(workspace_id);
        let key = |request: aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder| {
            request
                .table_name(&self.table)
                .key(keys::PK, AttributeValue::S(pk.clone()))
                .key(keys::SK, AttributeValue::S(sk.clone()))
        };
        match days {
            Some(days) => key(self.client.update_item())
                .update_expression("SET #days = :days")
                .expression_attribute_names("#days", "days")
                .expression_attribute_values(":days", AttributeValue::N(days.to_string()))
                .send()
                .await
                .map(|_| ())
                .map_err(unavailable),
            None => self
                .client
                .delete_item()
                .table_name(&self.table)
                .key(keys::PK, AttributeValue::S(pk))
                .key(keys::SK, AttributeValue::S(sk))
                .send()
                .await
                .map(|_| ())
                .map_err(unavailable),
        }
    }

    async fn due_sweeps(&self, since: OffsetDateTime) -> Result<Vec<(WorkspaceId, u32)>, StoreError> {
        let items = self.all_items(keys::RETENTION.to_owned(), keys::WORKSPACE_PREFIX, None).await?;
        let since = timestamp::format(since);
        let due = items.into_iter().filter_map(|item| {
            let swept = item.get("sweptAt").and_then(|v| v.as_s().ok());
            if swept.is_some_and(|swept| *swept >= since) {
                return None;
            }
            let workspace = item.get(keys::SK)?.as_s().ok()?.strip_prefix(keys::WORKSPACE_PREFIX)?.to_owned();
            let days = item.get("days")?.as_n().ok()?.parse().ok()?;
            Some((WorkspaceId::from_raw(&workspace), days))
        });
        Ok(due.collect())
    }

    async fn lease_sweep(
        &self,
        workspace_id: &WorkspaceId,
        since: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let leased = self
            .update_if(
                keys::retention(workspace_id),
                "SET sweptAt = :now",
                "attribute_exists(PK) AND (attribute_not_exists(sweptAt) OR sweptAt < :since)",
                vec![
                    (":now", AttributeValue::S(timestamp::format(now))),
                    (":since", AttributeValue::S(timestamp::format(since))),
                ],
                "swept already",
            )
            .await;
        match leased {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict(_)) => Ok(false),
            Err(err) => Err(err),
        }
    }

    async fn workspace_conversations(&self, workspace_id: &WorkspaceId) -> Result<Vec<ConversationId>, StoreError> {
        let listed = self.all_items(keys::workspace_pk(workspace_id), keys::CONVERSATION, None).await?;
        let ids = listed.into_iter().filter_map(|item| item.get("conversationId")?.as_s().ok().cloned());
        Ok(ids.map(|id| ConversationId::from_raw(&id)).collect())
    }

    async fn expire_messages(
        &self,
        conversation_id: &ConversationId,
        before: OffsetDateTime,
    ) -> Result<(u32, Vec<MessageId>), StoreError> {
        let mut old = Vec::new();
        let mut with_media = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk AND begins_with(SK, :messages)")
                .filter_expression("createdAt < :before")
                .expression_attribute_values(":pk", AttributeValue::S(keys::messages_pk(conversation_id)))
                .expression_attribute_values(":messages", AttributeValue::S(keys::MESSAGE.to_owned()))
                .expression_attribute_values(":before", AttributeValue::S(timestamp::format(before)))
                .projection_expression("PK, SK, id, media")
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(unavailable)?;
            for item in page.items.unwrap_or_default() {
                let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
                let (Some(pk), Some(sk)) = (text(keys::PK), text(keys::SK)) else { continue };
                if let (Some(id), true) = (text("id"), item.contains_key("media")) {
                    with_media.push(MessageId::from_raw(&id));
                }
                old.push((pk, sk));
            }
            match page.last_evaluated_key {
                Some(last) if !last.is_empty() => start = Some(last),
                _ => break,
            }
        }
        let count = u32::try_from(old.len()).unwrap_or(u32::MAX);
        self.delete_all(old).await?;
        Ok((count, with_media))
    }
}
