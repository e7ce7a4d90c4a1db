//! The store on one DynamoDB table. Every access is a GetItem, a Query on one partition or a
//! (conditional, often transactional) write; never a Scan. Key layout lives in `keys`.

mod api_keys;
mod cursor;
pub mod keys;
mod workspaces;

use std::collections::HashMap;

use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
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

    /// Puts every item only if none exists yet, all or nothing.
    async fn put_all_new(&self, items: Vec<Item>, what: &str) -> Result<(), StoreError> {
        let mut request = self.client.transact_write_items();
        for item in items {
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(PK)")
                .build()
                .map_err(|err| StoreError::Unavailable(err.to_string()))?;
            request = request.transact_items(TransactWriteItem::builder().put(put).build());
        }
        request.send().await.map_err(|err| transaction_error(err, what))?;
        Ok(())
    }
}

pub(crate) fn to_item<T: Serialize>(value: &T) -> Result<Item, StoreError> {
    serde_dynamo::to_item(value).map_err(|err| StoreError::Corrupt(err.to_string()))
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
            let lost_condition = cancelled
                .cancellation_reasons()
                .iter()
                .any(|reason| reason.code() == Some("ConditionalCheckFailed"));
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

impl DynamoStore {
    /// One page of a partition's items whose sort key starts with `collection`, oldest first.
    /// Reads one item more than asked so that `next_cursor` is only set when more items follow.
    async fn query_page<T: DeserializeOwned>(
        &self,
        pk: String,
        collection: &str,
        page: &crate::model::PageRequest,
    ) -> Result<crate::model::Page<T>, StoreError> {
        let start = match &page.cursor {
            Some(cursor) => {
                let sk = cursor::decode(cursor, collection)?;
                Some(HashMap::from([
                    (keys::PK.to_owned(), AttributeValue::S(pk.clone())),
                    (keys::SK.to_owned(), AttributeValue::S(sk)),
                ]))
            }
            None => None,
        };
        let limit = page.limit.max(1) as usize;
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND begins_with(SK, :collection)")
            .expression_attribute_values(":pk", AttributeValue::S(pk))
            .expression_attribute_values(":collection", AttributeValue::S(collection.to_owned()))
            .limit(limit as i32 + 1)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(unavailable)?;
        let mut items = output.items.unwrap_or_default();
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
