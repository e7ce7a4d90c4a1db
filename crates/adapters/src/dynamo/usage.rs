//! Reading the token counters that replies and analyses add to.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::Deserialize;

use super::{keys, unavailable, DynamoStore};
use crate::model::{AgentId, WorkspaceId};
use crate::ports::{StoreError, UsageStore};
use colloquy_domain::usage::model::{Tokens, UsageDelta, UsageRow};

/// A day's counters as stored: kept by `ADD`, so concurrent replies add up exactly.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UsageCounters {
    day: String,
    #[serde(default)]
    agent_id: Option<AgentId>,
    #[serde(flatten)]
    tokens: Tokens,
}

#[async_trait]
impl UsageStore for DynamoStore {
    /// Every page of the range: a year of days by agent is more than one Query answers.
    async fn usage(
        &self,
        workspace_id: &WorkspaceId,
        from: &str,
        to: &str,
        by_agent: bool,
    ) -> Result<Vec<UsageRow>, StoreError> {
        let prefix = if by_agent { keys::USAGE_AGENT } else { keys::USAGE_DAY };
        let mut rows = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk AND SK BETWEEN :from AND :to")
                .expression_attribute_values(":pk", AttributeValue::S(keys::workspace_pk(workspace_id)))
                .expression_attribute_values(":from", AttributeValue::S(format!("{prefix}{from}")))
                .expression_attribute_values(":to", AttributeValue::S(format!("{prefix}{to}~")))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(unavailable)?;
            for item in output.items.unwrap_or_default() {
                let counters: UsageCounters = crate::dynamo::from_item(item)?;
                rows.push(UsageRow { day: counters.day, agent_id: counters.agent_id, tokens: counters.tokens });
            }
            match output.last_evaluated_key {
                Some(last) => start = Some(last),
                None => return Ok(rows),
            }
        }
    }

    async fn add_usage(&self, usage: &UsageDelta) -> Result<(), StoreError> {
        self.transact(self.usage_items(usage)?.to_vec(), "usage").await
    }
}
