//! The store on one DynamoDB table. Every access is a GetItem, a Query on one partition or a
//! (conditional, often transactional) write; never a Scan. Key layout lives in `keys`.

/// A domain struct's storage record: a struct with the item's attribute names and serde shape,
/// and conversions both ways that name every field, so that a field the domain adds does not
/// compile until its record has it. Each field is listed once, here.
macro_rules! record {
    ($(#[$meta:meta])* $record:ident for $domain:ident {
        $( $(#[$field_meta:meta])* $field:ident : $ty:ty ),* $(,)?
    }) => {
        $(#[$meta])*
        #[derive(serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        pub(super) struct $record {
            $( $(#[$field_meta])* $field: $ty, )*
        }

        impl From<&$domain> for $record {
            fn from(value: &$domain) -> Self {
                let $domain { $($field),* } = value.clone();
                Self { $($field),* }
            }
        }

        impl From<$record> for $domain {
            fn from(stored: $record) -> Self {
                let $record { $($field),* } = stored;
                Self { $($field),* }
            }
        }
    };
}

mod agents;
mod api_keys;
mod audit;
mod contacts;
mod conversations;
mod cursor;
mod dead_letters;
mod due_work;
mod events;
mod json_text;
pub mod keys;
mod knowledge;
mod media;
mod migrations;
mod numbers;
mod policies;
mod prompts;
mod rate_limits;
mod records;
mod retention;
mod scheduled;
mod sessions;
mod test_suites;
mod tool_calls;
mod tools;
mod usage;
mod workspaces;

use std::collections::HashMap;

use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::ports::StoreError;

pub type Item = HashMap<String, AttributeValue>;

#[derive(Clone)]
pub struct DynamoStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }

    async fn get<T: DeserializeOwned>(&self, (pk, sk): (String, String)) -> Result<Option<T>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(keys::PK, AttributeValue::S(pk))
            .key(keys::SK, AttributeValue::S(sk))
            .send()
            .await
            .map_err(unavailable)?;
        output.item.map(from_item).transpose()
    }

    /// The items at `keys` that exist, in no particular order: BatchGetItem, 100 keys a call,
    /// and again for whatever DynamoDB leaves unprocessed.
    async fn get_many<T: DeserializeOwned>(&self, keys: Vec<(String, String)>) -> Result<Vec<T>, StoreError> {
        let mut found = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(100) {
            let mut pending: Vec<Item> = chunk
                .iter()
                .map(|(pk, sk)| {
                    Item::from([
                        (keys::PK.to_owned(), AttributeValue::S(pk.clone())),
                        (keys::SK.to_owned(), AttributeValue::S(sk.clone())),
                    ])
                })
                .collect();
            let mut rounds = 0;
            while !pending.is_empty() {
                rounds += 1;
                if rounds > 10 {
                    return Err(StoreError::Unavailable("the table left keys unprocessed ten times".into()));
                }
                let request = aws_sdk_dynamodb::types::KeysAndAttributes::builder()
                    .set_keys(Some(std::mem::take(&mut pending)))
                    .build()
                    .map_err(build_error)?;
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(unavailable)?;
                for item in output.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default() {
                    found.push(from_item::<Record<T>>(item)?.data);
                }
                pending = output
                    .unprocessed_keys
                    .and_then(|mut left| left.remove(&self.table))
                    .map(|left| left.keys)
                    .unwrap_or_default();
                if !pending.is_empty() {
                    tokio::time::sleep(std::time::Duration::from_millis(20 * rounds)).await;
                }
            }
        }
        Ok(found)
    }

    /// Puts a new item that the table's TTL removes after `expires` (`expiresAt`).
    async fn put_new_expiring(
        &self,
        mut item: Item,
        expires: time::OffsetDateTime,
        what: &str,
    ) -> Result<(), StoreError> {
        item.insert("expiresAt".to_owned(), AttributeValue::N(expires.unix_timestamp().to_string()));
        self.put_all_new(vec![item], what).await
    }

    /// Sets attributes of an item on condition that `condition` holds; `Conflict(conflict)` when
    /// it does not.
    async fn update_if(
        &self,
        (pk, sk): (String, String),
        set: &str,
        condition: &str,
        values: Vec<(&str, AttributeValue)>,
        conflict: &str,
    ) -> Result<(), StoreError> {
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(keys::PK, AttributeValue::S(pk))
            .key(keys::SK, AttributeValue::S(sk))
            .update_expression(set)
            .condition_expression(condition);
        for (name, value) in values {
            update = update.expression_attribute_values(name, value);
        }
        match update.send().await {
            Ok(_) => Ok(()),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => {
                Err(StoreError::Conflict(conflict.to_owned()))
            }
            Err(err) => Err(unavailable(err)),
        }
    }

    /// Puts every item only if none exists yet, all or nothing.
    async fn put_all_new(&self, items: Vec<Item>, what: &str) -> Result<(), StoreError> {
        let puts =
            items.into_iter().map(|item| self.put(item, "attribute_not_exists(PK)", &[])).collect::<Result<_, _>>()?;
        self.transact(puts, what).await
    }
}

/// A condition expression and its values.
pub(crate) type Condition<'a> = (&'a str, Vec<(&'a str, AttributeValue)>);

fn build_error(err: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(err.to_string())
}

impl DynamoStore {
    /// A conditional put, as one item of a transaction.
    pub(crate) fn put(
        &self,
        item: Item,
        condition: &str,
        values: &[(&str, AttributeValue)],
    ) -> Result<TransactWriteItem, StoreError> {
        let mut put = Put::builder().table_name(&self.table).set_item(Some(item)).condition_expression(condition);
        for (name, value) in values {
            put = put.expression_attribute_values(*name, value.clone());
        }
        Ok(TransactWriteItem::builder().put(put.build().map_err(build_error)?).build())
    }

    /// A put that replaces whatever is there, as one item of a transaction.
    pub(crate) fn put_unconditional(&self, item: Item) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder().table_name(&self.table).set_item(Some(item)).build().map_err(build_error)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// A (conditional) delete, as one item of a transaction.
    pub(crate) fn delete_item(
        &self,
        (pk, sk): (String, String),
        condition: Option<Condition<'_>>,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut delete = Delete::builder()
            .table_name(&self.table)
            .key(keys::PK, AttributeValue::S(pk))
            .key(keys::SK, AttributeValue::S(sk));
        if let Some((expression, values)) = condition {
            delete = delete.condition_expression(expression);
            for (name, value) in values {
                delete = delete.expression_attribute_values(name, value);
            }
        }
        Ok(TransactWriteItem::builder().delete(delete.build().map_err(build_error)?).build())
    }

    /// A put over a revision: new (`expected: None`, the item must not exist), or a change of
    /// revision `expected` (items written before revisions existed count as revision 0).
    pub(crate) async fn put_revised<T: Serialize>(
        &self,
        key: (String, String),
        value: &T,
        expected: Option<u64>,
        what: &str,
    ) -> Result<(), StoreError> {
        let item = to_item(&Record::new(key, value))?;
        let mut put = Put::builder().table_name(&self.table).set_item(Some(item));
        put = match expected {
            None => put.condition_expression("attribute_not_exists(PK)"),
            Some(revision) => {
                let condition = if revision == 0 {
                    "attribute_exists(PK) AND (attribute_not_exists(#revision) OR #revision = :revision)"
                } else {
                    "#revision = :revision"
                };
                put.condition_expression(condition)
                    .expression_attribute_names("#revision", "revision")
                    .expression_attribute_values(":revision", AttributeValue::N(revision.to_string()))
            }
        };
        let write = TransactWriteItem::builder().put(put.build().map_err(build_error)?).build();
        self.transact(vec![write], what).await
    }

    /// Deletes an item; `false` when there was none.
    pub(crate) async fn delete_one(&self, (pk, sk): (String, String)) -> Result<bool, StoreError> {
        let output = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(keys::PK, AttributeValue::S(pk))
            .key(keys::SK, AttributeValue::S(sk))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(output.attributes.is_some())
    }

    pub(crate) async fn transact(&self, items: Vec<TransactWriteItem>, what: &str) -> Result<(), StoreError> {
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(|err| transaction_error(err, what))?;
        Ok(())
    }
}

pub(crate) fn to_item<T: Serialize>(value: &T) -> Result<Item, StoreError> {
    serde_dynamo::to_item(value).map_err(|err| StoreError::Corrupt(err.to_string()))
}

/// One attribute's value, for an update expression.
pub(crate) fn to_value<T: Serialize>(value: &T) -> Result<AttributeValue, StoreError> {
    serde_dynamo::to_attribute_value(value).map_err(|err| StoreError::Corrupt(err.to_string()))
}

pub(crate) fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|err| StoreError::Corrupt(err.to_string()))
}

pub(crate) fn unavailable<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    StoreError::Unavailable(DisplayErrorContext(err).to_string())
}

/// A transaction cancelled by a failed condition is a conflict; anything else is the store's fault.
pub(crate) fn transaction_error<R>(err: SdkError<TransactWriteItemsError, R>, what: &str) -> StoreError
where
    R: std::fmt::Debug + Send + Sync + 'static,
{
    if let SdkError::ServiceError(service) = &err {
        if let TransactWriteItemsError::TransactionCanceledException(cancelled) = service.err() {
            let lost_condition =
                cancelled.cancellation_reasons().iter().any(|reason| reason.code() == Some("ConditionalCheckFailed"));
            if lost_condition {
                return StoreError::Conflict(format!("{what} already exists or changed"));
            }
        }
    }
    unavailable(err)
}

/// An item as stored: its keys beside the domain data.
#[derive(Serialize, serde::Deserialize)]
pub(crate) struct Record<T> {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(flatten)]
    data: T,
}

impl<T> Record<T> {
    fn new((pk, sk): (String, String), data: T) -> Self {
        Self { pk, sk, data }
    }
}

/// How a collection is read: order, an optional `contains` filter on one attribute, and an
/// optional flag that must not be true.
#[derive(Default)]
pub(crate) struct Listing<'a> {
    pub newest_first: bool,
    pub contains: Option<(&'a str, &'a str)>,
    pub not_true: Option<&'a str>,
}

impl Listing<'_> {
    fn filters(&self) -> bool {
        self.contains.is_some() || self.not_true.is_some()
    }
}

impl DynamoStore {
    /// One item read through its record `R` as the domain's `D`.
    async fn get_as<R: DeserializeOwned, D: From<R>>(&self, key: (String, String)) -> Result<Option<D>, StoreError> {
        Ok(self.get::<Record<R>>(key).await?.map(|record| record.data.into()))
    }

    /// `query_page` through the record `R`, as the domain's `D`.
    async fn page_as<R: DeserializeOwned, D: From<R>>(
        &self,
        pk: String,
        collection: &str,
        page: &crate::model::PageRequest,
        listing: Listing<'_>,
    ) -> Result<crate::model::Page<D>, StoreError> {
        Ok(self.query_page::<R>(pk, collection, page, listing).await?.map(D::from))
    }

    /// One page of a partition's items whose sort key starts with `collection`. Reads until it
    /// has one item more than asked (or the collection ends), so that `next_cursor` is set only
    /// when more items follow, even when a filter drops items.
    async fn query_page<T: DeserializeOwned>(
        &self,
        pk: String,
        collection: &str,
        page: &crate::model::PageRequest,
        listing: Listing<'_>,
    ) -> Result<crate::model::Page<T>, StoreError> {
        let key = |sk: String| {
            HashMap::from([
                (keys::PK.to_owned(), AttributeValue::S(pk.clone())),
                (keys::SK.to_owned(), AttributeValue::S(sk)),
            ])
        };
        let mut start = page.cursor.as_deref().map(|cursor| cursor::decode(cursor, collection)).transpose()?.map(key);
        let limit = page.limit.max(1) as usize;
        let mut items: Vec<Item> = Vec::new();
        loop {
            let mut request = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk AND begins_with(SK, :collection)")
                .expression_attribute_values(":pk", AttributeValue::S(pk.clone()))
                .expression_attribute_values(":collection", AttributeValue::S(collection.to_owned()))
                .scan_index_forward(!listing.newest_first)
                .limit(if listing.filters() { 100 } else { limit as i32 + 1 })
                .set_exclusive_start_key(start.take());
            let mut filters = Vec::new();
            if let Some((attribute, needle)) = listing.contains {
                filters.push("contains(#attribute, :needle)");
                request = request
                    .expression_attribute_names("#attribute", attribute)
                    .expression_attribute_values(":needle", AttributeValue::S(needle.to_owned()));
            }
            if let Some(flag) = listing.not_true {
                filters.push("(attribute_not_exists(#flag) OR #flag <> :true)");
                request = request
                    .expression_attribute_names("#flag", flag)
                    .expression_attribute_values(":true", AttributeValue::Bool(true));
            }
            if !filters.is_empty() {
                request = request.filter_expression(filters.join(" AND "));
            }
            let output = request.send().await.map_err(unavailable)?;
            items.extend(output.items.unwrap_or_default());
            match output.last_evaluated_key {
                Some(last) if items.len() <= limit => start = Some(last),
                _ => break,
            }
        }
        let more = items.len() > limit;
        items.truncate(limit);
        let next_cursor = match (more, items.last()) {
            (true, Some(last)) => match last.get(keys::SK) {
                Some(AttributeValue::S(sk)) => Some(cursor::encode(sk)),
                _ => return Err(StoreError::Corrupt("item without a string SK".into())),
            },
            _ => None,
        };
        let items = items
            .into_iter()
            .map(|item| from_item::<Record<T>>(item).map(|record| record.data))
            .collect::<Result<_, _>>()?;
        Ok(crate::model::Page { items, next_cursor })
    }
}

#[cfg(test)]
mod schema_tests;
