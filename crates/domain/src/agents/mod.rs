//! Agents: create, read, list, change (PATCH semantics), delete.

pub mod compare;
pub mod model;
pub mod port;
pub mod split;
pub mod text;

use crate::agents::model::AnalysisSettings;
use crate::agents::model::{KnowledgeUse, PromptPick, SplitArm, TrafficSplit};
use crate::model::{
    Agent, AgentId, FollowUpPolicy, KnowledgeBaseId, LanguageCode, ModelSettings, Page, PageRequest, Principal,
    PromptId, ReplyDelay, Tool,
};
use crate::ports::{AgentStore, Clock, KnowledgeStore, PromptStore, ToolStore};
use crate::prompts::labels::LabelName;
use crate::AppError;

/// The ports the agent use cases read and write through.
#[derive(Clone, Copy)]
pub struct AgentPorts<'a> {
    pub agents: &'a dyn AgentStore,
    /// An agent's prompt and analysis prompt must exist.
    pub prompts: &'a dyn PromptStore,
    /// The tools an agent names must exist.
    pub tools: &'a dyn ToolStore,
    /// So must its knowledge bases.
    pub knowledge: &'a dyn KnowledgeStore,
    pub clock: &'a dyn Clock,
    /// The models agents may use (`ALLOWED_MODELS`); any when `None`.
    pub allowed_models: Option<&'a [String]>,
}

pub const DEFAULT_MAX_TOKENS: u32 = 1024;
pub const MAX_TOKENS_LIMIT: u32 = 32_000;
pub const MAX_NAME_CHARS: usize = 100;
/// Room for a Bedrock inference profile's ARN, the longest name a model goes by.
pub const MAX_MODEL_NAME_CHARS: usize = 256;
pub const MAX_FIRST_MESSAGE_CHARS: usize = 4096;
pub const MAX_FALLBACK_CHARS: usize = 1000;
pub const MAX_TOOLS: usize = 50;
pub const MAX_TOOL_NAME_CHARS: usize = 64;

/// A new agent, its values parsed (the API's `POST /api/v1/agents/` body, once read).
#[derive(Debug, Clone)]
pub struct NewAgent {
    pub name: String,
    pub prompt_id: PromptId,
    pub prompt_version: Option<u32>,
    pub prompt_label: Option<LabelName>,
    /// Two arms: new conversations split between them from now on.
    pub traffic_split: Option<[SplitArm; 2]>,
    pub model: ModelSettings,
    pub first_message: Option<String>,
    pub follow_up: Option<FollowUpPolicy>,
    pub tools: Vec<Tool>,
    pub fallback_text: Option<String>,
    pub reply_delay: Option<ReplyDelay>,
    pub answer_reactions: bool,
    pub transcription_language: Option<LanguageCode>,
    pub analysis: AnalysisChoice,
    pub knowledge: KnowledgeUse,
}

/// The analysis settings as asked for: checked against the workspace's prompts when applied.
#[derive(Debug, Clone, Default)]
pub struct AnalysisChoice {
    pub prompt_id: Option<PromptId>,
    pub prompt_version: Option<u32>,
    pub after_minutes: Option<u32>,
}

/// A change of an agent: `None` leaves a field as it is; `Some(None)` clears one that may be
/// empty.
#[derive(Debug, Clone, Default)]
pub struct AgentChange {
    pub name: Option<String>,
    pub prompt_id: Option<PromptId>,
    pub prompt_version: Option<Option<u32>>,
    pub prompt_label: Option<Option<LabelName>>,
    /// A new split starts now (conversations from before keep what they had); `Some(None)` ends it.
    pub traffic_split: Option<Option<[SplitArm; 2]>>,
    pub model: Option<ModelSettings>,
    pub first_message: Option<Option<String>>,
    pub follow_up: Option<Option<FollowUpPolicy>>,
    pub tools: Option<Vec<Tool>>,
    pub fallback_text: Option<Option<String>>,
    pub reply_delay: Option<Option<ReplyDelay>>,
    pub answer_reactions: Option<bool>,
    pub transcription_language: Option<Option<LanguageCode>>,
    pub analysis_prompt_id: Option<Option<PromptId>>,
    pub analysis_prompt_version: Option<Option<u32>>,
    pub analyze_after_minutes: Option<Option<u32>>,
    pub knowledge_bases: Option<Vec<KnowledgeBaseId>>,
    pub knowledge_in_context: Option<bool>,
}

/// Why an agent as asked for cannot be: each names what it refers to, for the API to name the
/// field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgentRejection {
    #[error("this deployment allows only these models: {}", .allowed.join(", "))]
    ModelNotAllowed { allowed: Vec<String> },
    #[error("no prompt with this id in the workspace")]
    UnknownPrompt,
    #[error("the prompt has no version {0}")]
    UnknownPromptVersion(u32),
    #[error("the prompt has no label `{0}`: put it on a version first (PUT /api/prompts/{{promptId}}/labels/{0})")]
    UnknownPromptLabel(LabelName),
    #[error("an agent follows a version or a label, not both")]
    VersionAndLabel,
    /// An arm of the split names a version the prompt does not have.
    #[error("the prompt has no version {version}")]
    UnknownSplitVersion { arm: usize, version: u32 },
    /// An arm of the split names a label the prompt does not carry.
    #[error("the prompt has no label `{label}`")]
    UnknownSplitLabel { arm: usize, label: LabelName },
    #[error("is required with analysisPromptVersion or analyzeAfterMinutes")]
    AnalysisPromptMissing,
    #[error("no prompt with this id in the workspace")]
    UnknownAnalysisPrompt,
    #[error("the prompt has no version {0}")]
    UnknownAnalysisPromptVersion(u32),
    #[error("must be a prompt of type `analysis` (prompt_metadata.prompt_type); this one is not")]
    NotAnAnalysisPrompt,
    /// The tool at `index` of the agent's tools is neither a built-in nor the workspace's.
    #[error("{problem}")]
    UnknownTool { index: usize, problem: String },
    /// The knowledge base at `index` of the agent's is not the workspace's.
    #[error("no knowledge base with this id in the workspace")]
    UnknownKnowledgeBase { index: usize },
}

impl From<AgentRejection> for AppError {
    fn from(rejection: AgentRejection) -> Self {
        Self::Rejected(rejection.into())
    }
}

fn allowed(ports: &AgentPorts<'_>, model: &ModelSettings) -> Result<(), AppError> {
    match ports.allowed_models {
        Some(allowed) if !allowed.contains(&model.name) => {
            Err(AgentRejection::ModelNotAllowed { allowed: allowed.to_vec() }.into())
        }
        _ => Ok(()),
    }
}

async fn check_tools(ports: &AgentPorts<'_>, principal: &Principal, tools: &[Tool]) -> Result<(), AppError> {
    let names: Vec<String> = tools.iter().map(|t| t.name.clone()).collect();
    match crate::tools::first_unknown(ports.tools, &principal.workspace_id, &names).await? {
        Some((index, problem)) => Err(AgentRejection::UnknownTool { index, problem }.into()),
        None => Ok(()),
    }
}

async fn check_knowledge(
    ports: &AgentPorts<'_>,
    principal: &Principal,
    bases: &[KnowledgeBaseId],
) -> Result<(), AppError> {
    match crate::knowledge::first_unknown(ports.knowledge, &principal.workspace_id, bases).await? {
        Some(index) => Err(AgentRejection::UnknownKnowledgeBase { index }.into()),
        None => Ok(()),
    }
}

/// The analysis prompt must be the workspace's own, of type `analysis`; the other two settings
/// mean nothing without it.
async fn analysis(
    ports: &AgentPorts<'_>,
    principal: &Principal,
    choice: AnalysisChoice,
) -> Result<Option<AnalysisSettings>, AppError> {
    let AnalysisChoice { prompt_id, prompt_version: version, after_minutes } = choice;
    let Some(prompt_id) = prompt_id else {
        if version.is_some() || after_minutes.is_some() {
            return Err(AgentRejection::AnalysisPromptMissing.into());
        }
        return Ok(None);
    };
    let Some(prompt) = ports.prompts.get_prompt(&principal.workspace_id, &prompt_id).await? else {
        return Err(AgentRejection::UnknownAnalysisPrompt.into());
    };
    let content = match version {
        Some(number) => match ports.prompts.get_prompt_version(&prompt.id, number).await? {
            Some(found) if number > 0 => found.content,
            _ => return Err(AgentRejection::UnknownAnalysisPromptVersion(number).into()),
        },
        None => prompt.content,
    };
    if content.metadata.get("prompt_type").and_then(serde_json::Value::as_str) != Some("analysis") {
        return Err(AgentRejection::NotAnAnalysisPrompt.into());
    }
    Ok(Some(AnalysisSettings { prompt_id, prompt_version: version, after_minutes }))
}

/// The prompt (and the version or label it follows) must be the workspace's own.
async fn check_prompt(ports: &AgentPorts<'_>, principal: &Principal, agent: &Agent) -> Result<(), AppError> {
    let Some(prompt) = ports.prompts.get_prompt(&principal.workspace_id, &agent.prompt_id).await? else {
        return Err(AgentRejection::UnknownPrompt.into());
    };
    if let Some(number) = agent.prompt_version {
        if number == 0 || ports.prompts.get_prompt_version(&prompt.id, number).await?.is_none() {
            return Err(AgentRejection::UnknownPromptVersion(number).into());
        }
    }
    if let Some(label) = &agent.prompt_label {
        if prompt.labels.version_of(label).is_none() {
            return Err(AgentRejection::UnknownPromptLabel(label.clone()).into());
        }
    }
    for (arm, side) in agent.traffic_split.iter().flat_map(|split| split.arms.iter().enumerate()) {
        match &side.follows {
            PromptPick::Version(version) => {
                if *version == 0 || ports.prompts.get_prompt_version(&prompt.id, *version).await?.is_none() {
                    return Err(AgentRejection::UnknownSplitVersion { arm, version: *version }.into());
                }
            }
            PromptPick::Label(label) => {
                if prompt.labels.version_of(label).is_none() {
                    return Err(AgentRejection::UnknownSplitLabel { arm, label: label.clone() }.into());
                }
            }
        }
    }
    Ok(())
}

pub async fn create_agent(ports: &AgentPorts<'_>, principal: &Principal, input: NewAgent) -> Result<Agent, AppError> {
    allowed(ports, &input.model)?;
    check_tools(ports, principal, &input.tools).await?;
    check_knowledge(ports, principal, &input.knowledge.bases).await?;
    if input.prompt_version.is_some() && input.prompt_label.is_some() {
        return Err(AgentRejection::VersionAndLabel.into());
    }
    let analysis = analysis(ports, principal, input.analysis).await?;
    let now = ports.clock.now();
    let agent = Agent {
        revision: 0,
        id: AgentId::generate(),
        workspace_id: principal.workspace_id.clone(),
        name: input.name,
        prompt_id: input.prompt_id,
        prompt_version: input.prompt_version,
        prompt_label: input.prompt_label,
        traffic_split: input.traffic_split.map(|arms| TrafficSplit { arms, since: now }),
        model: input.model,
        first_message: input.first_message,
        follow_up: input.follow_up,
        tools: input.tools,
        fallback_text: input.fallback_text,
        reply_delay_seconds: input.reply_delay,
        answer_reactions: input.answer_reactions,
        transcription_language: input.transcription_language,
        analysis,
        knowledge: input.knowledge,
        created_at: now,
        updated_at: now,
    };
    check_prompt(ports, principal, &agent).await?;
    ports.agents.put_agent(&agent, None).await?;
    Ok(agent)
}

pub async fn get_agent(ports: &AgentPorts<'_>, principal: &Principal, agent_id: &AgentId) -> Result<Agent, AppError> {
    ports
        .agents
        .get_agent(&principal.workspace_id, agent_id)
        .await?
        .ok_or_else(|| AppError::not_found(&format!("agent `{agent_id}`")))
}

pub async fn list_agents(
    ports: &AgentPorts<'_>,
    principal: &Principal,
    page: &PageRequest,
) -> Result<Page<Agent>, AppError> {
    Ok(ports.agents.list_agents(&principal.workspace_id, page).await?)
}

/// Applies the change over the agent's current revision; a concurrent change of other fields is
/// read again and kept.
pub async fn change_agent(
    ports: &AgentPorts<'_>,
    principal: &Principal,
    agent_id: &AgentId,
    change: AgentChange,
) -> Result<Agent, AppError> {
    let mut retries = crate::optimistic::Retries::new("the agent");
    loop {
        retries.another().await?;
        let current = get_agent(ports, principal, agent_id).await?;
        let mut changed = changed_agent(ports, principal, current.clone(), change.clone()).await?;
        changed.revision = current.revision + 1;
        match ports.agents.put_agent(&changed, Some(current.revision)).await {
            Ok(()) => return Ok(changed),
            // Another change came first (or the agent was deleted): the next read tells.
            Err(crate::ports::StoreError::Conflict(_)) => continue,
            Err(err) => return Err(err.into()),
        }
    }
}

async fn changed_agent(
    ports: &AgentPorts<'_>,
    principal: &Principal,
    mut agent: Agent,
    change: AgentChange,
) -> Result<Agent, AppError> {
    if let Some(name) = change.name {
        agent.name = name;
    }
    if let Some(model) = change.model {
        allowed(ports, &model)?;
        agent.model = model;
    }
    if let Some(text) = change.first_message {
        agent.first_message = text;
    }
    if let Some(policy) = change.follow_up {
        agent.follow_up = policy;
    }
    if let Some(list) = change.tools {
        check_tools(ports, principal, &list).await?;
        agent.tools = list;
    }
    if let Some(answer) = change.answer_reactions {
        agent.answer_reactions = answer;
    }
    if let Some(bases) = change.knowledge_bases {
        check_knowledge(ports, principal, &bases).await?;
        agent.knowledge.bases = bases;
    }
    if let Some(in_context) = change.knowledge_in_context {
        agent.knowledge.in_context = in_context;
    }
    if let Some(language) = change.transcription_language {
        agent.transcription_language = language;
    }
    if let Some(delay) = change.reply_delay {
        agent.reply_delay_seconds = delay;
    }
    if let Some(text) = change.fallback_text {
        agent.fallback_text = text;
    }
    let analysis_changed = change.analysis_prompt_id.is_some()
        || change.analysis_prompt_version.is_some()
        || change.analyze_after_minutes.is_some();
    if analysis_changed {
        let current = agent.analysis.take();
        let choice = AnalysisChoice {
            prompt_id: change.analysis_prompt_id.unwrap_or_else(|| current.as_ref().map(|a| a.prompt_id.clone())),
            prompt_version: change
                .analysis_prompt_version
                .unwrap_or_else(|| current.as_ref().and_then(|a| a.prompt_version)),
            after_minutes: change
                .analyze_after_minutes
                .unwrap_or_else(|| current.as_ref().and_then(|a| a.after_minutes)),
        };
        agent.analysis = analysis(ports, principal, choice).await?;
    }
    let prompt_changed = change.prompt_id.is_some()
        || change.prompt_version.is_some()
        || change.prompt_label.is_some()
        || change.traffic_split.is_some();
    if let Some(split) = change.traffic_split {
        agent.traffic_split = split.map(|arms| TrafficSplit { arms, since: ports.clock.now() });
    }
    if let (Some(Some(_)), Some(Some(_))) = (&change.prompt_version, &change.prompt_label) {
        return Err(AgentRejection::VersionAndLabel.into());
    }
    if let Some(prompt_id) = change.prompt_id {
        agent.prompt_id = prompt_id;
    }
    // Following a version stops following a label, and the other way round.
    if let Some(version) = change.prompt_version {
        agent.prompt_label = agent.prompt_label.filter(|_| version.is_none());
        agent.prompt_version = version;
    }
    if let Some(label) = change.prompt_label {
        agent.prompt_version = agent.prompt_version.filter(|_| label.is_none());
        agent.prompt_label = label;
    }
    if prompt_changed {
        check_prompt(ports, principal, &agent).await?;
    }
    agent.updated_at = ports.clock.now();
    Ok(agent)
}

pub async fn delete_agent(ports: &AgentPorts<'_>, principal: &Principal, agent_id: &AgentId) -> Result<(), AppError> {
    if ports.agents.delete_agent(&principal.workspace_id, agent_id).await? {
        Ok(())
    } else {
        Err(AppError::not_found(&format!("agent `{agent_id}`")))
    }
}

/// The tools an agent would offer (its prompt's and its own) that resolve to nothing in its
/// workspace: the model is offered the others.
pub async fn unresolved_tools(ports: &AgentPorts<'_>, agent: &Agent) -> Result<Vec<String>, AppError> {
    let prompt = ports.prompts.get_prompt(&agent.workspace_id, &agent.prompt_id).await?;
    let followed = agent.prompt_version.or_else(|| {
        let label = agent.prompt_label.as_ref()?;
        prompt.as_ref()?.labels.version_of(label)
    });
    let content = match followed {
        Some(number) => ports.prompts.get_prompt_version(&agent.prompt_id, number).await?.map(|v| v.content),
        None => prompt.map(|p| p.content),
    };
    let prompt_tools = content.map(|c| c.tools).unwrap_or_default();
    let names: Vec<&str> = prompt_tools.iter().chain(&agent.tools).map(|tool| tool.name.as_str()).collect();
    crate::tools::unresolved(ports.tools, &agent.workspace_id, &names).await
}
