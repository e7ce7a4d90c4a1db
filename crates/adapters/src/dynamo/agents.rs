use async_trait::async_trait;

use super::{keys, DynamoStore, Listing, Record};
use crate::model::{Agent, AgentId, Page, PageRequest, WorkspaceId};
use crate::ports::{AgentStore, StoreError};

#[async_trait]
impl AgentStore for DynamoStore {
    async fn put_agent(&self, agent: &Agent, expected: Option<u64>) -> Result<(), StoreError> {
        self.put_revised(keys::agent(&agent.workspace_id, &agent.id), agent, expected, "agent").await
    }

    async fn get_agent(&self, workspace_id: &WorkspaceId, agent_id: &AgentId) -> Result<Option<Agent>, StoreError> {
        let record: Option<Record<Agent>> = self.get(keys::agent(workspace_id, agent_id)).await?;
        Ok(record.map(|record| record.data))
    }

    async fn list_agents(&self, workspace_id: &WorkspaceId, page: &PageRequest) -> Result<Page<Agent>, StoreError> {
        self.query_page(keys::workspace_pk(workspace_id), keys::AGENT, page, Listing::default()).await
    }

    async fn delete_agent(&self, workspace_id: &WorkspaceId, agent_id: &AgentId) -> Result<bool, StoreError> {
        self.delete_one(keys::agent(workspace_id, agent_id)).await
    }
}
