//! Agents as the API shows them (the Wassist seed's shape, camelCase).

use serde::Serialize;

use crate::model::{timestamp, Agent, AgentId, FollowUpPolicy, KnowledgeBaseId, ModelSettings, PromptId, Tool};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentView {
    pub id: AgentId,
    pub name: String,
    pub prompt_id: PromptId,
    /// Null follows the prompt's latest version (or its label).
    pub prompt_version: Option<u32>,
    /// The prompt's label it follows: moving the label moves the agent.
    pub prompt_label: Option<String>,
    pub model: ModelSettings,
    pub first_message: Option<String>,
    pub follow_up: Option<FollowUpPolicy>,
    pub tools: Vec<Tool>,
    pub fallback_text: Option<String>,
    pub reply_delay_seconds: Option<u32>,
    pub answer_reactions: bool,
    pub transcription_language: Option<String>,
    pub analysis_prompt_id: Option<PromptId>,
    pub analysis_prompt_version: Option<u32>,
    pub analyze_after_minutes: Option<u32>,
    /// The knowledge bases it answers from (with the built-in tool `search_knowledge`).
    pub knowledge_bases: Vec<KnowledgeBaseId>,
    /// Whether the best chunks for the contact's latest turn are put before the model at once.
    pub knowledge_in_context: bool,
    pub created_at: String,
    pub updated_at: String,
    /// Tools its prompt or its own list name that the workspace does not have (yet): not offered
    /// to the model. Shown where one agent is read or changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unresolved_tools: Option<Vec<String>>,
}

impl AgentView {
    pub fn with_unresolved_tools(mut self, unresolved: Vec<String>) -> Self {
        self.unresolved_tools = Some(unresolved);
        self
    }
}

impl From<&Agent> for AgentView {
    fn from(agent: &Agent) -> Self {
        Self {
            id: agent.id.clone(),
            name: agent.name.clone(),
            prompt_id: agent.prompt_id.clone(),
            prompt_version: agent.prompt_version,
            prompt_label: agent.prompt_label.as_ref().map(ToString::to_string),
            model: agent.model.clone(),
            first_message: agent.first_message.clone(),
            follow_up: agent.follow_up.clone(),
            tools: agent.tools.clone(),
            fallback_text: agent.fallback_text.clone(),
            reply_delay_seconds: agent.reply_delay_seconds.map(u32::from),
            answer_reactions: agent.answer_reactions,
            transcription_language: agent.transcription_language.clone().map(String::from),
            analysis_prompt_id: agent.analysis.as_ref().map(|a| a.prompt_id.clone()),
            analysis_prompt_version: agent.analysis.as_ref().and_then(|a| a.prompt_version),
            analyze_after_minutes: agent.analysis.as_ref().and_then(|a| a.after_minutes),
            knowledge_bases: agent.knowledge.bases.clone(),
            knowledge_in_context: agent.knowledge.in_context,
            created_at: timestamp::format(agent.created_at),
            updated_at: timestamp::format(agent.updated_at),
            unresolved_tools: None,
        }
    }
}
