//! Agents: create, read, list, change (PATCH semantics), delete.

pub mod model;
pub mod port;
pub mod text;

use serde::Deserialize;

use crate::agents::model::{AnalysisSettings, MAX_ANALYZE_AFTER_MINUTES};
use crate::model::input::required_text;
use crate::model::{
    Agent, AgentId, FollowUpPolicy, LanguageCode, ModelSettings, Page, PageRequest, Principal, PromptId, Provider,
    ReplyDelay, Temperature, TemplateMessage, Tool,
};
use crate::ports::{AgentStore, Clock, PromptStore, ToolStore};
use crate::AppError;

/// The ports the agent use cases read and write through.
#[derive(Clone, Copy)]
pub struct AgentPorts<'a> {
    pub agents: &'a dyn AgentStore,
    /// An agent's prompt and analysis prompt must exist.
    pub prompts: &'a dyn PromptStore,
    /// The tools an agent names must exist.
    pub tools: &'a dyn ToolStore,
    pub clock: &'a dyn Clock,
    /// The models agents may use (`ALLOWED_MODELS`); any when `None`.
    pub allowed_models: Option<&'a [String]>,
}

pub const DEFAULT_MAX_TOKENS: u32 = 1024;
pub const MAX_TOKENS_LIMIT: u32 = 32_000;
pub const MAX_FIRST_MESSAGE_CHARS: usize = 4096;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelInput {
    pub provider: Provider,
    pub name: String,
    #[serde(default)]
    pub temperature: Option<f64>,
    #[serde(default)]
    pub max_tokens: Option<u32>,
    #[serde(default)]
    pub accepts_images: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewAgent {
    pub name: String,
    pub prompt_id: PromptId,
    #[serde(default)]
    pub prompt_version: Option<u32>,
    pub model: ModelInput,
    #[serde(default)]
    pub first_message: Option<String>,
    #[serde(default)]
    pub follow_up: Option<FollowUpPolicy>,
    #[serde(default)]
    pub tools: Vec<Tool>,
    #[serde(default)]
    pub fallback_text: Option<String>,
    #[serde(default)]
    pub reply_delay_seconds: Option<u32>,
    #[serde(default)]
    pub answer_reactions: bool,
    #[serde(default)]
    pub transcription_language: Option<String>,
    #[serde(default)]
    pub analysis_prompt_id: Option<PromptId>,
    #[serde(default)]
    pub analysis_prompt_version: Option<u32>,
    #[serde(default)]
    pub analyze_after_minutes: Option<u32>,
}

/// Absent leaves a field as it is; `null` clears the fields that may be empty.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentChange {
    #[serde(default, deserialize_with = "crate::model::input::not_null")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "crate::model::input::not_null")]
    pub prompt_id: Option<PromptId>,
    #[serde(default, deserialize_with = "crate::model::input::present")]
    pub prompt_version: Option<Option<u32>>,
    #[serde(default, deserialize_with = "crate::model::input::not_null")]
    pub model: Option<ModelInput>,
    #[serde(default, deserialize_with = "crate::model::input::present")]
    pub first_message: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::model::input::present")]
    pub follow_up: Option<Option<FollowUpPolicy>>,
    #[serde(default, deserialize_with = "crate::model::input::not_null")]
    pub tools: Option<Vec<Tool>>,
    #[serde(default, deserialize_with = "crate::model::input::present")]
    pub fallback_text: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::model::input::present")]
    pub reply_delay_seconds: Option<Option<u32>>,
    #[serde(default, deserialize_with = "crate::model::input::not_null")]
    pub answer_reactions: Option<bool>,
    #[serde(default, deserialize_with = "crate::model::input::present")]
    pub transcription_language: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::model::input::present")]
    pub analysis_prompt_id: Option<Option<PromptId>>,
    #[serde(default, deserialize_with = "crate::model::input::present")]
    pub analysis_prompt_version: Option<Option<u32>>,
    #[serde(default, deserialize_with = "crate::model::input::present")]
    pub analyze_after_minutes: Option<Option<u32>>,
}

fn reply_delay(seconds: Option<u32>) -> Result<Option<ReplyDelay>, AppError> {
    Ok(seconds.map(ReplyDelay::from_seconds).transpose().map_err(|err| err.at("replyDelaySeconds"))?)
}

fn transcription_language(language: Option<String>) -> Result<Option<LanguageCode>, AppError> {
    Ok(language.as_deref().map(LanguageCode::parse).transpose().map_err(|err| err.at("transcriptionLanguage"))?)
}

fn model(ports: &AgentPorts<'_>, input: ModelInput) -> Result<ModelSettings, AppError> {
    let name = required_text("model.name", &input.name, 100)?;
    if let Some(allowed) = ports.allowed_models {
        if !allowed.contains(&name) {
            return Err(AppError::invalid(
                "model.name",
                format!("this deployment allows only these models: {}", allowed.join(", ")),
            ));
        }
    }
    let temperature = input
        .temperature
        .map(|t| Temperature::within(t, Temperature::MAX))
        .transpose()
        .map_err(|err| err.at("model.temperature"))?;
    let max_tokens = input.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS);
    if !(1..=MAX_TOKENS_LIMIT).contains(&max_tokens) {
        return Err(AppError::invalid("model.maxTokens", format!("must be from 1 to {MAX_TOKENS_LIMIT}")));
    }
    Ok(ModelSettings { provider: input.provider, name, temperature, max_tokens, accepts_images: input.accepts_images })
}

pub fn template(field: &str, template: &TemplateMessage) -> Result<(), AppError> {
    required_text(&format!("{field}.name"), &template.name, 512)?;
    required_text(&format!("{field}.language"), &template.language, 16)?;
    Ok(())
}

fn follow_up(policy: &FollowUpPolicy) -> Result<(), AppError> {
    if !(1..=10_080).contains(&policy.after_minutes) {
        return Err(AppError::invalid("followUp.afterMinutes", "must be from 1 to 10080 (a week)"));
    }
    if !(1..=10).contains(&policy.max_attempts) {
        return Err(AppError::invalid("followUp.maxAttempts", "must be from 1 to 10"));
    }
    required_text("followUp.instruction", &policy.instruction, 2000)?;
    if let Some(t) = &policy.template {
        template("followUp.template", t)?;
    }
    Ok(())
}

fn first_message(text: Option<String>) -> Result<Option<String>, AppError> {
    match text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()) {
        Some(t) if t.chars().count() > MAX_FIRST_MESSAGE_CHARS => {
            Err(AppError::invalid("firstMessage", format!("must be at most {MAX_FIRST_MESSAGE_CHARS} characters")))
        }
        other => Ok(other),
    }
}

fn fallback(text: Option<String>) -> Result<Option<String>, AppError> {
    match text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()) {
        Some(t) if t.chars().count() > 1000 => {
            Err(AppError::invalid("fallbackText", "must be at most 1000 characters"))
        }
        other => Ok(other),
    }
}

fn tools(list: Vec<Tool>) -> Result<Vec<Tool>, AppError> {
    if list.len() > 50 {
        return Err(AppError::invalid("tools", "at most 50 tools"));
    }
    list.into_iter()
        .enumerate()
        .map(|(i, tool)| Ok(Tool::named(required_text(&format!("tools[{i}].name"), &tool.name, 64)?)))
        .collect()
}

/// The analysis prompt must be the workspace's own, of type `analysis`; the other two settings
/// mean nothing without it.
async fn analysis(
    ports: &AgentPorts<'_>,
    principal: &Principal,
    prompt_id: Option<PromptId>,
    version: Option<u32>,
    after_minutes: Option<u32>,
) -> Result<Option<AnalysisSettings>, AppError> {
    let Some(prompt_id) = prompt_id else {
        if version.is_some() || after_minutes.is_some() {
            return Err(AppError::invalid(
                "analysisPromptId",
                "is required with analysisPromptVersion or analyzeAfterMinutes",
            ));
        }
        return Ok(None);
    };
    let Some(prompt) = ports.prompts.get_prompt(&principal.workspace_id, &prompt_id).await? else {
        return Err(AppError::invalid("analysisPromptId", "no prompt with this id in the workspace"));
    };
    let content = match version {
        Some(number) => match ports.prompts.get_prompt_version(&prompt.id, number).await? {
            Some(found) if number > 0 => found.content,
            _ => return Err(AppError::invalid("analysisPromptVersion", format!("the prompt has no version {number}"))),
        },
        None => prompt.content,
    };
    if content.metadata.get("prompt_type").and_then(serde_json::Value::as_str) != Some("analysis") {
        return Err(AppError::invalid(
            "analysisPromptId",
            "must be a prompt of type `analysis` (prompt_metadata.prompt_type); this one is not",
        ));
    }
    if let Some(minutes) = after_minutes {
        if !(1..=MAX_ANALYZE_AFTER_MINUTES).contains(&minutes) {
            return Err(AppError::invalid(
                "analyzeAfterMinutes",
                format!("must be from 1 to {MAX_ANALYZE_AFTER_MINUTES} (30 days)"),
            ));
        }
    }
    Ok(Some(AnalysisSettings { prompt_id, prompt_version: version, after_minutes }))
}

/// The prompt (and version) must be the workspace's own.
async fn check_prompt(
    ports: &AgentPorts<'_>,
    principal: &Principal,
    prompt_id: &PromptId,
    version: Option<u32>,
) -> Result<(), AppError> {
    let Some(prompt) = ports.prompts.get_prompt(&principal.workspace_id, prompt_id).await? else {
        return Err(AppError::invalid("promptId", "no prompt with this id in the workspace"));
    };
    if let Some(number) = version {
        if number == 0 || ports.prompts.get_prompt_version(&prompt.id, number).await?.is_none() {
            return Err(AppError::invalid("promptVersion", format!("the prompt has no version {number}")));
        }
    }
    Ok(())
}

pub async fn create_agent(ports: &AgentPorts<'_>, principal: &Principal, input: NewAgent) -> Result<Agent, AppError> {
    let name = required_text("name", &input.name, 100)?;
    let model = model(ports, input.model)?;
    let first_message = first_message(input.first_message)?;
    if let Some(policy) = &input.follow_up {
        follow_up(policy)?;
    }
    let tools = tools(input.tools)?;
    let names: Vec<String> = tools.iter().map(|t| t.name.clone()).collect();
    crate::tools::check_names(ports.tools, &principal.workspace_id, "tools", &names).await?;
    check_prompt(ports, principal, &input.prompt_id, input.prompt_version).await?;
    let analysis = analysis(
        ports,
        principal,
        input.analysis_prompt_id,
        input.analysis_prompt_version,
        input.analyze_after_minutes,
    )
    .await?;
    let now = ports.clock.now();
    let agent = Agent {
        revision: 0,
        id: AgentId::generate(),
        workspace_id: principal.workspace_id.clone(),
        name,
        prompt_id: input.prompt_id,
        prompt_version: input.prompt_version,
        model,
        first_message,
        follow_up: input.follow_up,
        tools,
        fallback_text: fallback(input.fallback_text)?,
        reply_delay_seconds: reply_delay(input.reply_delay_seconds)?,
        answer_reactions: input.answer_reactions,
        transcription_language: transcription_language(input.transcription_language)?,
        analysis,
        created_at: now,
        updated_at: now,
    };
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
        agent.name = required_text("name", &name, 100)?;
    }
    if let Some(input) = change.model {
        agent.model = model(ports, input)?;
    }
    if let Some(text) = change.first_message {
        agent.first_message = first_message(text)?;
    }
    if let Some(policy) = change.follow_up {
        if let Some(policy) = &policy {
            follow_up(policy)?;
        }
        agent.follow_up = policy;
    }
    if let Some(list) = change.tools {
        agent.tools = tools(list)?;
        let names: Vec<String> = agent.tools.iter().map(|t| t.name.clone()).collect();
        crate::tools::check_names(ports.tools, &principal.workspace_id, "tools", &names).await?;
    }
    if let Some(answer) = change.answer_reactions {
        agent.answer_reactions = answer;
    }
    if let Some(language) = change.transcription_language {
        agent.transcription_language = transcription_language(language)?;
    }
    if let Some(seconds) = change.reply_delay_seconds {
        agent.reply_delay_seconds = reply_delay(seconds)?;
    }
    if let Some(text) = change.fallback_text {
        agent.fallback_text = fallback(text)?;
    }
    let analysis_changed = change.analysis_prompt_id.is_some()
        || change.analysis_prompt_version.is_some()
        || change.analyze_after_minutes.is_some();
    if analysis_changed {
        let current = agent.analysis.take();
        let prompt_id = change.analysis_prompt_id.unwrap_or_else(|| current.as_ref().map(|a| a.prompt_id.clone()));
        let version = change.analysis_prompt_version.unwrap_or_else(|| current.as_ref().and_then(|a| a.prompt_version));
        let after = change.analyze_after_minutes.unwrap_or_else(|| current.as_ref().and_then(|a| a.after_minutes));
        agent.analysis = analysis(ports, principal, prompt_id, version, after).await?;
    }
    let prompt_changed = change.prompt_id.is_some() || change.prompt_version.is_some();
    if let Some(prompt_id) = change.prompt_id {
        agent.prompt_id = prompt_id;
    }
    if let Some(version) = change.prompt_version {
        agent.prompt_version = version;
    }
    if prompt_changed {
        check_prompt(ports, principal, &agent.prompt_id, agent.prompt_version).await?;
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
    let content = match agent.prompt_version {
        Some(number) => ports.prompts.get_prompt_version(&agent.prompt_id, number).await?.map(|v| v.content),
        None => ports.prompts.get_prompt(&agent.workspace_id, &agent.prompt_id).await?.map(|p| p.content),
    };
    let prompt_tools = content.map(|c| c.tools).unwrap_or_default();
    let names: Vec<&str> = prompt_tools.iter().chain(&agent.tools).map(|tool| tool.name.as_str()).collect();
    crate::tools::unresolved(ports.tools, &agent.workspace_id, &names).await
}
