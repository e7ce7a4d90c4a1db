//! Sparse indexes of work due at a time (follow-ups; analyses and approval watches): reading what
//! is due, and moving an entry's due time forward if it is still as observed (a lease, so that
//! overlapping scheduler runs queue it once).

use aws_sdk_dynamodb::types::AttributeValue;

use super::{keys, unavailable, DynamoStore};
use crate::ports::StoreError;

/// An index and the attributes that key it.
#[derive(Clone, Copy)]
pub(super) struct DueIndex {
    name: &'static str,
    partition: &'static str,
    sort: &'static str,
}

pub(super) const FOLLOW_UPS: DueIndex =
    DueIndex { name: keys::FOLLOW_UP_INDEX, partition: keys::GSI1PK, sort: keys::GSI1SK };
pub(super) const SCHEDULED: DueIndex =
    DueIndex { name: keys::SCHEDULED_INDEX, partition: keys::GSI2PK, sort: keys::GSI2SK };

/// A due entry's keys: the indexes project keys only, so whatever the entry stands for is in them.
pub(super) struct DueKeys {
    pub pk: String,
    pub sk: String,
    pub sort: String,
}

impl DynamoStore {
    /// Entries of `partition` whose sort key is at most `upto`, earliest first.
    pub(super) async fn due_keys(
        &self,
        index: DueIndex,
        partition: String,
        upto: String,
        limit: u32,
    ) -> Result<Vec<DueKeys>, StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index.name)
            .key_condition_expression("#partition = :partition AND #sort <= :upto")
            .expression_attribute_names("#partition", index.partition)
            .expression_attribute_names("#sort", index.sort)
            .expression_attribute_values(":partition", AttributeValue::S(partition))
            .expression_attribute_values(":upto", AttributeValue::S(upto))
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(unavailable)?;
        let text = |item: &super::Item, name: &str| match item.get(name) {
            Some(AttributeValue::S(value)) => Some(value.clone()),
            _ => None,
        };
        let keys = output.items.unwrap_or_default().into_iter().filter_map(|item| {
            Some(DueKeys { pk: text(&item, keys::PK)?, sk: text(&item, keys::SK)?, sort: text(&item, index.sort)? })
        });
        Ok(keys.collect())
    }

    /// Sets the entry's sort key to `leased` (and `also` to its value) if it is still `observed`;
    /// `false` when another run moved it first.
    pub(super) async fn move_due(
        &self,
        (pk, sk): (String, String),
        index: DueIndex,
        observed: String,
        leased: String,
        also: Option<(&str, String)>,
    ) -> Result<bool, StoreError> {
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(keys::PK, AttributeValue::S(pk))
            .key(keys::SK, AttributeValue::S(sk))
            .condition_expression("#sort = :observed")
            .expression_attribute_names("#sort", index.sort)
            .expression_attribute_values(":leased", AttributeValue::S(leased))
            .expression_attribute_values(":observed", AttributeValue::S(observed));
        update = match also {
            Some((attribute, value)) => update
                .update_expression("SET #sort = :leased, #also = :also")
                .expression_attribute_names("#also", attribute)
                .expression_attribute_values(":also", AttributeValue::S(value)),
            None => update.update_expression("SET #sort = :leased"),
        };
        match update.send().await {
            Ok(_) => Ok(true),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(false),
            Err(err) => Err(unavailable(err)),
        }
    }
}
