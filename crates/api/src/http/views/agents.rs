//! Agents as the API shows them (the Wassist seed's shape, camelCase).

use serde::Serialize;

use colloquy_domain::agents::compare::{Comparison, Range, VersionFigures, VersionKey};
use colloquy_domain::agents::model::TrafficSplit;
use colloquy_domain::prompts::model::display_version;

use crate::model::{timestamp, Agent, AgentId, FollowUpPolicy, KnowledgeBaseId, ModelSettings, Prompt, PromptId, Tool};

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
    /// New conversations (from `since`) split between two versions or labels by weight.
    pub traffic_split: Option<TrafficSplit>,
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
            traffic_split: agent.traffic_split.clone(),
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

/// `GET /api/v1/agents/{id}/versions-compared/`
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ComparisonView {
    pub agent_id: AgentId,
    pub from: String,
    pub to: String,
    pub conversations_examined: u64,
    /// More conversations were in the range than one comparison examines.
    pub truncated: bool,
    pub versions: Vec<VersionFiguresView>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionFiguresView {
    /// Null for the prompt's working copy (agents that follow the latest).
    pub version: Option<u32>,
    pub display_version: Option<String>,
    /// The prompt's labels pointing at the version now.
    pub labels: Vec<String>,
    #[serde(flatten)]
    pub figures: VersionFigures,
}

impl ComparisonView {
    pub fn new(agent: &Agent, range: Range, compared: Comparison, prompt: Option<&Prompt>) -> Self {
        let versions = compared
            .versions
            .into_iter()
            .map(|(key, figures)| {
                let version = match key {
                    VersionKey::Version(number) => Some(number),
                    VersionKey::WorkingCopy => None,
                };
                let labels = match (version, prompt) {
                    (Some(number), Some(prompt)) => {
                        prompt.labels.on_version(number).iter().map(ToString::to_string).collect()
                    }
                    _ => Vec::new(),
                };
                VersionFiguresView { version, display_version: version.map(display_version), labels, figures }
            })
            .collect();
        Self {
            agent_id: agent.id.clone(),
            from: timestamp::format(range.from),
            to: timestamp::format(range.to),
            conversations_examined: compared.conversations_examined,
            truncated: compared.truncated,
            versions,
        }
    }
}
