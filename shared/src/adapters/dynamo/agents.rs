use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

use super::{keys, to_item, unavailable, DynamoStore, Listing, Record};
use crate::model::{Agent, Page, PageRequest};
use crate::ports::{AgentStore, StoreError};

#[async_trait]
impl AgentStore for DynamoStore {
    async fn put_agent(&self, agent: &Agent, expected_existing: bool) -> Result<(), StoreError> {
        let item = to_item(&Record::new(keys::agent(&agent.workspace_id, &agent.id), agent))?;
        let condition = if expected_existing { "attribute_exists(PK)" } else { "attribute_not_exists(PK)" };
        self.transact(vec![self.put(item, condition, &[])?], "agent").await
    }

    async fn get_agent(&self, workspace_id: &str, agent_id: &str) -> Result<Option<Agent>, StoreError> {
        let record: Option<Record<Agent>> = self.get(keys::agent(workspace_id, agent_id)).await?;
        Ok(record.map(|record| record.data))
    }

    async fn list_agents(&self, workspace_id: &str, page: &PageRequest) -> Result<Page<Agent>, StoreError> {
        self.query_page(keys::workspace_pk(workspace_id), keys::AGENT, page, Listing::default()).await
    }

    async fn delete_agent(&self, workspace_id: &str, agent_id: &str) -> Result<bool, StoreError> {
        let (pk, sk) = keys::agent(workspace_id, agent_id);
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
}
