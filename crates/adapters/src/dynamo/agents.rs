use async_trait::async_trait;
use time::OffsetDateTime;

use super::{keys, DynamoStore, Listing};
use crate::model::{
    Agent, AgentId, FollowUpPolicy, LanguageCode, ModelSettings, Page, PageRequest, PromptId, ReplyDelay, Tool,
    WorkspaceId,
};
use crate::ports::{AgentStore, StoreError};
use colloquy_domain::agents::model::{AnalysisSettings, KnowledgeUse};

#[async_trait]
impl AgentStore for DynamoStore {
    async fn put_agent(&self, agent: &Agent, expected: Option<u64>) -> Result<(), StoreError> {
        let record = StoredAgent::from(agent);
        self.put_revised(keys::agent(&agent.workspace_id, &agent.id), &record, expected, "agent").await
    }

    async fn get_agent(&self, workspace_id: &WorkspaceId, agent_id: &AgentId) -> Result<Option<Agent>, StoreError> {
        self.get_as::<StoredAgent, _>(keys::agent(workspace_id, agent_id)).await
    }

    async fn list_agents(&self, workspace_id: &WorkspaceId, page: &PageRequest) -> Result<Page<Agent>, StoreError> {
        self.page_as::<StoredAgent, _>(keys::workspace_pk(workspace_id), keys::AGENT, page, Listing::default()).await
    }

    async fn delete_agent(&self, workspace_id: &WorkspaceId, agent_id: &AgentId) -> Result<bool, StoreError> {
        self.delete_one(keys::agent(workspace_id, agent_id)).await
    }
}

record! {
    /// How an agent is stored: its attributes as they have always been named.
    StoredAgent for Agent {
        id: AgentId,
        workspace_id: WorkspaceId,
        name: String,
        prompt_id: PromptId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        prompt_version: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        prompt_label: Option<colloquy_domain::prompts::labels::LabelName>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        traffic_split: Option<colloquy_domain::agents::model::TrafficSplit>,
        model: ModelSettings,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        first_message: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        follow_up: Option<FollowUpPolicy>,
        #[serde(default)]
        tools: Vec<Tool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fallback_text: Option<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        answer_reactions: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_delay_seconds: Option<ReplyDelay>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        transcription_language: Option<LanguageCode>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        analysis: Option<AnalysisSettings>,
        /// Absent (agents stored before knowledge bases, and those without any) is none.
        #[serde(default, skip_serializing_if = "knowledge_unused")]
        knowledge: KnowledgeUse,
        #[serde(with = "crate::model::timestamp::iso")]
        created_at: OffsetDateTime,
        #[serde(with = "crate::model::timestamp::iso")]
        updated_at: OffsetDateTime,
        #[serde(default)]
        revision: u64,
    }
}

fn knowledge_unused(knowledge: &KnowledgeUse) -> bool {
    *knowledge == KnowledgeUse::default()
}
