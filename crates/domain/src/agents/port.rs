//! Where agents are kept.

use async_trait::async_trait;

use crate::model::{Agent, AgentId, Page, PageRequest, WorkspaceId};
use crate::ports::StoreError;

#[async_trait]
pub trait AgentStore: Send + Sync {
    /// Creates (`expected_existing = false`) or replaces an existing agent.
    /// A new agent (`expected: None`), or a change over revision `expected`; `Conflict` when the
    /// agent exists (new) or another write came first (change).
    async fn put_agent(&self, agent: &Agent, expected: Option<u64>) -> Result<(), StoreError>;
    async fn get_agent(&self, workspace_id: &WorkspaceId, agent_id: &AgentId) -> Result<Option<Agent>, StoreError>;
    async fn list_agents(&self, workspace_id: &WorkspaceId, page: &PageRequest) -> Result<Page<Agent>, StoreError>;
    async fn delete_agent(&self, workspace_id: &WorkspaceId, agent_id: &AgentId) -> Result<bool, StoreError>;
}
