//! Agents and the business numbers that route contacts to them.

use async_trait::async_trait;

use super::StoreError;
use crate::model::{Agent, AgentId, Page, PageRequest, WhatsAppNumber, WorkspaceId};

#[async_trait]
pub trait NumberStore: Send + Sync {
    /// `Conflict` when the number is registered already (to this or another workspace).
    async fn register_number(&self, number: &WhatsAppNumber) -> Result<(), StoreError>;
    /// By Meta's id, whichever workspace holds it: what inbound webhooks resolve.
    async fn get_number(&self, phone_number_id: &str) -> Result<Option<WhatsAppNumber>, StoreError>;
    async fn list_numbers(
        &self,
        workspace_id: &WorkspaceId,
        page: &PageRequest,
    ) -> Result<Page<WhatsAppNumber>, StoreError>;
    /// `false` when the workspace has no such number.
    async fn remove_number(&self, workspace_id: &WorkspaceId, phone_number_id: &str) -> Result<bool, StoreError>;
}

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
