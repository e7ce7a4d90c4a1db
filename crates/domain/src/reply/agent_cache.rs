//! Agents and prompt versions, cached per container.

use super::*;
use crate::agents::model::PromptPick;
use crate::conversations::model::PromptArm;
use crate::knowledge::model::KnowledgeBase;
use crate::model::{AgentId, KnowledgeBaseId, Prompt, PromptContent, PromptId, WorkspaceId};
use crate::prompts::labels::LabelName;

const AGENT_CACHE_TTL: Duration = Duration::from_secs(60);

/// Agents and prompts, cached per container: versions never change; agents and a prompt's
/// working copy are re-read after a minute, so an edit reaches replies within it.
#[derive(Default)]
pub struct AgentCache {
    agents: TtlCache<AgentId, Agent>,
    /// Prompts as saved (their working copies), for agents that follow the latest.
    prompts: TtlCache<PromptId, Prompt>,
    versions: TtlCache<(PromptId, u32), PromptVersion>,
    /// Tools by workspace and name, re-read after a minute like agents.
    tools: TtlCache<(WorkspaceId, String), crate::tools::model::ToolDef>,
    /// Knowledge bases (their snapshot pointers), re-read after a minute: a rebuild reaches
    /// replies within it, and a warm search reads nothing from the table.
    knowledge_bases: TtlCache<(WorkspaceId, KnowledgeBaseId), KnowledgeBase>,
}

/// The instructions an agent answers with, and which text they are.
#[derive(Debug, Clone)]
pub struct SystemPrompt {
    pub content: PromptContent,
    pub used: PromptUsed,
    /// The split arm a conversation new to its agent's split falls in: stored with its reply.
    pub arm: Option<PromptArm>,
}

/// Versions never change: kept as long as the container lives.
const FOREVER: Duration = Duration::MAX;

impl AgentCache {
    pub(super) async fn agent(
        &self,
        ports: &ReplyPorts<'_>,
        workspace_id: &WorkspaceId,
        agent_id: &AgentId,
    ) -> Result<Option<Agent>, StoreError> {
        let load = ports.agents.get_agent(workspace_id, agent_id);
        self.agents.get_or_load(agent_id.clone(), AGENT_CACHE_TTL, load).await
    }

    pub(super) async fn tool(
        &self,
        ports: &ReplyPorts<'_>,
        workspace_id: &WorkspaceId,
        name: &str,
    ) -> Result<Option<crate::tools::model::ToolDef>, StoreError> {
        let load = ports.tools.find_tool_by_name(workspace_id, name);
        self.tools.get_or_load((workspace_id.clone(), name.to_owned()), AGENT_CACHE_TTL, load).await
    }

    /// The knowledge bases of `ids` that still exist, in that order.
    pub(super) async fn knowledge_bases(
        &self,
        ports: &ReplyPorts<'_>,
        workspace_id: &WorkspaceId,
        ids: &[&KnowledgeBaseId],
    ) -> Result<Vec<KnowledgeBase>, StoreError> {
        let mut bases = Vec::with_capacity(ids.len());
        for &id in ids {
            let load = ports.knowledge_bases.get_knowledge_base(workspace_id, id);
            let key = (workspace_id.clone(), id.clone());
            bases.extend(self.knowledge_bases.get_or_load(key, AGENT_CACHE_TTL, load).await?);
        }
        Ok(bases)
    }

    /// The version a conversation's split arm gave it (kept for its life); for a conversation a
    /// split is new to, the version of the arm it falls in (`arm`, stored with its first reply);
    /// a pinned agent's version; the version its label points at (the prompt re-read after a
    /// minute, so a moved label reaches replies within it); otherwise the prompt's working copy
    /// as last saved, so that an edit takes effect without waiting for a version to be captured.
    pub(super) async fn system_prompt(
        &self,
        ports: &ReplyPorts<'_>,
        agent: &Agent,
        conversation: &Conversation,
    ) -> Result<Option<SystemPrompt>, StoreError> {
        if let Some(arm) = &conversation.prompt_arm {
            return self.version(ports, agent, arm.version, None).await;
        }
        let split = agent.traffic_split.as_ref().filter(|split| conversation.created_at >= split.since);
        if let Some(split) = split {
            let (number, label) = match &split.arm_for(&conversation.id).follows {
                PromptPick::Version(number) => (Some(*number), None),
                PromptPick::Label(label) => (self.labelled(ports, agent, label).await?, Some(label.clone())),
            };
            // A label removed since (a race: removing a label a split names is refused) leaves
            // the conversation to the agent's own choice below, unassigned.
            if let Some(version) = number {
                return self.version(ports, agent, version, Some(PromptArm { version, label })).await;
            }
        }
        let number = match (agent.prompt_version, &agent.prompt_label) {
            (Some(number), _) => number,
            (None, label) => {
                let Some(prompt) = self.prompt(ports, agent).await? else { return Ok(None) };
                match label {
                    // A label removed since: the agent cannot be left without instructions, and
                    // removing a followed label is refused, so this is a race; the latest serves.
                    Some(label) => prompt.labels.version_of(label).unwrap_or(prompt.latest_version),
                    None => {
                        let used = PromptUsed::WorkingCopy(prompt.revision);
                        return Ok(Some(SystemPrompt { used, content: prompt.content, arm: None }));
                    }
                }
            }
        };
        self.version(ports, agent, number, None).await
    }

    async fn prompt(&self, ports: &ReplyPorts<'_>, agent: &Agent) -> Result<Option<Prompt>, StoreError> {
        let load = ports.prompts.get_prompt(&agent.workspace_id, &agent.prompt_id);
        self.prompts.get_or_load(agent.prompt_id.clone(), AGENT_CACHE_TTL, load).await
    }

    async fn labelled(
        &self,
        ports: &ReplyPorts<'_>,
        agent: &Agent,
        label: &LabelName,
    ) -> Result<Option<u32>, StoreError> {
        Ok(self.prompt(ports, agent).await?.and_then(|prompt| prompt.labels.version_of(label)))
    }

    async fn version(
        &self,
        ports: &ReplyPorts<'_>,
        agent: &Agent,
        number: u32,
        arm: Option<PromptArm>,
    ) -> Result<Option<SystemPrompt>, StoreError> {
        let load = ports.prompts.get_prompt_version(&agent.prompt_id, number);
        let version = self.versions.get_or_load((agent.prompt_id.clone(), number), FOREVER, load).await?;
        Ok(version.map(|v| SystemPrompt { content: v.content, used: PromptUsed::Version(v.version), arm }))
    }
}
