//! One-off changes to items written by earlier versions, run by `colloquy-admin`.

use aws_sdk_dynamodb::types::AttributeValue;

use super::{keys, unavailable, DynamoStore, Item};
use crate::ports::StoreError;

impl DynamoStore {
    /// Puts every conversation written before the activity index existed into it (from its
    /// `updatedAt`), so the console's inbox shows it; returns how many were added. Safe to run
    /// again and while the system runs: an item that gained the index since is left alone.
    pub async fn backfill_activity(&self) -> Result<u64, StoreError> {
        let mut added = 0;
        let mut start = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("begins_with(SK, :conversation) AND attribute_not_exists(GSI3PK)")
                .expression_attribute_values(":conversation", AttributeValue::S(keys::CONVERSATION.to_owned()))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(unavailable)?;
            for item in page.items.unwrap_or_default() {
                if self.index_activity(&item).await? {
                    added += 1;
                }
            }
            match page.last_evaluated_key {
                Some(last) => start = Some(last),
                None => return Ok(added),
            }
        }
    }

    async fn index_activity(&self, item: &Item) -> Result<bool, StoreError> {
        let text = |name: &str| match item.get(name) {
            Some(AttributeValue::S(value)) => Some(value.clone()),
            _ => None,
        };
        let (Some(pk), Some(sk), Some(updated_at)) = (text(keys::PK), text(keys::SK), text("updatedAt")) else {
            return Ok(false);
        };
        let (Some(workspace), Some(conversation)) = (pk.strip_prefix("WS#"), sk.strip_prefix(keys::CONVERSATION))
        else {
            return Ok(false);
        };
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(keys::PK, AttributeValue::S(pk.clone()))
            .key(keys::SK, AttributeValue::S(sk.clone()))
            .update_expression("SET GSI3PK = :partition, GSI3SK = :sort")
            .condition_expression("attribute_exists(PK) AND attribute_not_exists(GSI3PK)")
            .expression_attribute_values(":partition", AttributeValue::S(keys::activity_partition(workspace)))
            .expression_attribute_values(":sort", AttributeValue::S(keys::activity_sort(&updated_at, conversation)))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(false),
            Err(err) => Err(unavailable(err)),
        }
    }
}
