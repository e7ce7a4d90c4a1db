//! A message's processed media, in one write with the transcription's usage.

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};

use super::{keys, to_value, DynamoStore};
use crate::ports::{MediaUpdate, StoreError};

impl DynamoStore {
    pub(super) async fn write_media(&self, update: &MediaUpdate) -> Result<(), StoreError> {
        let (pk, sk) = keys::message(&update.conversation_id, &update.message_id);
        let media = to_value(&update.media)?;
        let mut write = Update::builder()
            .table_name(&self.table)
            .key(keys::PK, AttributeValue::S(pk))
            .key(keys::SK, AttributeValue::S(sk))
            // Once: a second worker that fetched the same media (a stale read) writes nothing,
            // and its transcription's seconds are not counted twice.
            .condition_expression(
                "attribute_exists(PK) AND (attribute_not_exists(#media.#status) OR #media.#status = :pending)",
            )
            .expression_attribute_names("#media", "media")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":pending", AttributeValue::S("pending".into()))
            .expression_attribute_values(":media", media);
        write = match &update.blocked {
            Some(error) => {
                let error = to_value(error)?;
                write
                    .update_expression("SET #media = :media, #error = :error")
                    .expression_attribute_names("#error", "error")
                    .expression_attribute_values(":error", error)
            }
            None => write.update_expression("SET #media = :media"),
        };
        let write = write.build().map_err(|err| StoreError::Unavailable(err.to_string()))?;
        let mut items = vec![TransactWriteItem::builder().update(write).build()];
        if let Some(usage) = &update.usage {
            items.extend(self.usage_items(usage)?);
        }
        self.transact(items, "message").await
    }
}
