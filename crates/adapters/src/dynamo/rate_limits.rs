//! Request counts per minute: one item per workspace and minute holds the workspace's total and
//! each key's count, so one conditional UpdateItem counts a request against both limits (and
//! refuses it, counting nothing, when either is reached). The item expires by the table's TTL
//! two minutes after its minute.

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};

use super::{keys, unavailable, DynamoStore};
use crate::model::WorkspaceId;
use crate::ports::{RateLimiter, StoreError};
use colloquy_domain::rate_limits::{Counted, Limit, RateLimits};

const TOTAL: &str = "total";

/// The attribute of a key's count in the minute's item.
fn key_attribute(key_prefix: &str) -> String {
    format!("key_{key_prefix}")
}

/// The condition that both counts are under their limits (a missing limit holds no count back).
fn under_limits(limits: RateLimits) -> Option<String> {
    let under = |name: &str, placeholder: &str| format!("(attribute_not_exists({name}) OR {name} < {placeholder})");
    let conditions: Vec<String> = [
        limits.per_workspace.map(|_| under("#total", ":workspaceLimit")),
        limits.per_key.map(|_| under("#key", ":keyLimit")),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!conditions.is_empty()).then(|| conditions.join(" AND "))
}

#[async_trait]
impl RateLimiter for DynamoStore {
    async fn count(
        &self,
        workspace_id: &WorkspaceId,
        key_prefix: &str,
        minute: i64,
        limits: RateLimits,
    ) -> Result<Counted, StoreError> {
        let (pk, sk) = keys::rate_window(workspace_id, minute);
        let one = AttributeValue::N("1".into());
        let zero = AttributeValue::N("0".into());
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(keys::PK, AttributeValue::S(pk))
            .key(keys::SK, AttributeValue::S(sk))
            .update_expression("SET #total = if_not_exists(#total, :zero) + :one, #key = if_not_exists(#key, :zero) + :one, expiresAt = :expires")
            .set_condition_expression(under_limits(limits))
            .expression_attribute_names("#total", TOTAL)
            .expression_attribute_names("#key", key_attribute(key_prefix))
            .expression_attribute_values(":one", one)
            .expression_attribute_values(":zero", zero)
            .expression_attribute_values(":expires", AttributeValue::N((minute * 60 + 180).to_string()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        if let Some(limit) = limits.per_workspace {
            update = update.expression_attribute_values(":workspaceLimit", AttributeValue::N(limit.to_string()));
        }
        if let Some(limit) = limits.per_key {
            update = update.expression_attribute_values(":keyLimit", AttributeValue::N(limit.to_string()));
        }
        let err = match update.send().await {
            Ok(_) => return Ok(Counted::Admitted),
            Err(err) => err,
        };
        let Some(UpdateItemError::ConditionalCheckFailedException(failed)) = err.as_service_error() else {
            return Err(unavailable(err));
        };
        // The counts the refusal saw say which limit was reached.
        let key_count = failed
            .item
            .as_ref()
            .and_then(|item| item.get(&key_attribute(key_prefix)))
            .and_then(|count| count.as_n().ok())
            .and_then(|count| count.parse::<u64>().ok());
        let key_full = limits.per_key.is_some_and(|limit| key_count >= Some(u64::from(limit)));
        let limit = if key_full || limits.per_workspace.is_none() { Limit::Key } else { Limit::Workspace };
        Ok(Counted::Refused(limit))
    }
}
