use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{keys, DynamoStore, Listing, Record};
use crate::model::{
    Agent, AgentId, FollowUpPolicy, LanguageCode, ModelSettings, Page, PageRequest, PromptId, ReplyDelay, Tool,
    WorkspaceId,
};
use crate::ports::{AgentStore, StoreError};
use colloquy_domain::agents::model::AnalysisSettings;

#[async_trait]
impl AgentStore for DynamoStore {
    async fn put_agent(&self, agent: &Agent, expected: Option<u64>) -> Result<(), StoreError> {
        let record = StoredAgent::from(agent);
        self.put_revised(keys::agent(&agent.workspace_id, &agent.id), &record, expected, "agent").await
    }

    async fn get_agent(&self, workspace_id: &WorkspaceId, agent_id: &AgentId) -> Result<Option<Agent>, StoreError> {
        let record: Option<Record<StoredAgent>> = self.get(keys::agent(workspace_id, agent_id)).await?;
        Ok(record.map(|record| record.data.into()))
    }

    async fn list_agents(&self, workspace_id: &WorkspaceId, page: &PageRequest) -> Result<Page<Agent>, StoreError> {
        let page: Page<StoredAgent> =
            self.query_page(keys::workspace_pk(workspace_id), keys::AGENT, page, Listing::default()).await?;
        Ok(page.map(Agent::from))
    }

    async fn delete_agent(&self, workspace_id: &WorkspaceId, agent_id: &AgentId) -> Result<bool, StoreError> {
        self.delete_one(keys::agent(workspace_id, agent_id)).await
    }
}

/// How an agent is stored: its attributes as they have always been named.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct StoredAgent {
    id: AgentId,
    workspace_id: WorkspaceId,
    name: String,
    prompt_id: PromptId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    prompt_version: Option<u32>,
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
    #[serde(with = "crate::model::timestamp::iso")]
    created_at: OffsetDateTime,
    #[serde(with = "crate::model::timestamp::iso")]
    updated_at: OffsetDateTime,
    #[serde(default)]
    revision: u64,
}

impl From<&Agent> for StoredAgent {
    fn from(agent: &Agent) -> Self {
        let Agent {
            id,
            workspace_id,
            name,
            prompt_id,
            prompt_version,
            model,
            first_message,
            follow_up,
            tools,
            fallback_text,
            answer_reactions,
            reply_delay_seconds,
            transcription_language,
            analysis,
            created_at,
            updated_at,
            revision,
        } = agent.clone();
        Self {
            id,
            workspace_id,
            name,
            prompt_id,
            prompt_version,
            model,
            first_message,
            follow_up,
            tools,
            fallback_text,
            answer_reactions,
            reply_delay_seconds,
            transcription_language,
            analysis,
            created_at,
            updated_at,
            revision,
        }
    }
}

impl From<StoredAgent> for Agent {
    fn from(stored: StoredAgent) -> Self {
        let StoredAgent {
            id,
            workspace_id,
            name,
            prompt_id,
            prompt_version,
            model,
            first_message,
            follow_up,
            tools,
            fallback_text,
            answer_reactions,
            reply_delay_seconds,
            transcription_language,
            analysis,
            created_at,
            updated_at,
            revision,
        } = stored;
        Self {
            id,
            workspace_id,
            name,
            prompt_id,
            prompt_version,
            model,
            first_message,
            follow_up,
            tools,
            fallback_text,
            answer_reactions,
            reply_delay_seconds,
            transcription_language,
            analysis,
            created_at,
            updated_at,
            revision,
        }
    }
}
