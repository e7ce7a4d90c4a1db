//! The bodies of `POST` and `PATCH /api/v1/agents/`, read into the domain's commands: each value
//! parsed once, each error naming the field as the caller sent it.

use serde::Deserialize;

use super::{not_null, present, template};
use crate::model::input::{required_text, InvalidField};
use crate::model::{
    FollowUpPolicy, KnowledgeBaseId, LanguageCode, ModelSettings, PromptId, Provider, ReplyDelay, Temperature, Tool,
};
use colloquy_domain::agents::model::{KnowledgeUse, SplitArm, MAX_ANALYZE_AFTER_MINUTES};
use colloquy_domain::agents::{
    AgentChange, AnalysisChoice, NewAgent, DEFAULT_MAX_TOKENS, MAX_FALLBACK_CHARS, MAX_FIRST_MESSAGE_CHARS,
    MAX_MODEL_NAME_CHARS, MAX_NAME_CHARS, MAX_TOKENS_LIMIT, MAX_TOOLS, MAX_TOOL_NAME_CHARS,
};
use colloquy_domain::prompts::labels::LabelName;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelBody {
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
pub struct NewAgentBody {
    pub name: String,
    pub prompt_id: PromptId,
    #[serde(default)]
    pub prompt_version: Option<u32>,
    #[serde(default)]
    pub prompt_label: Option<String>,
    #[serde(default)]
    pub traffic_split: Option<serde_json::Value>,
    pub model: ModelBody,
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
    #[serde(default)]
    pub knowledge_bases: Vec<KnowledgeBaseId>,
    #[serde(default)]
    pub knowledge_in_context: bool,
}

/// Absent leaves a field as it is; `null` clears the fields that may be empty.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentChangeBody {
    #[serde(default, deserialize_with = "not_null")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    pub prompt_id: Option<PromptId>,
    #[serde(default, deserialize_with = "present")]
    pub prompt_version: Option<Option<u32>>,
    #[serde(default, deserialize_with = "present")]
    pub prompt_label: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub traffic_split: Option<Option<serde_json::Value>>,
    #[serde(default, deserialize_with = "not_null")]
    pub model: Option<ModelBody>,
    #[serde(default, deserialize_with = "present")]
    pub first_message: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub follow_up: Option<Option<FollowUpPolicy>>,
    #[serde(default, deserialize_with = "not_null")]
    pub tools: Option<Vec<Tool>>,
    #[serde(default, deserialize_with = "present")]
    pub fallback_text: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub reply_delay_seconds: Option<Option<u32>>,
    #[serde(default, deserialize_with = "not_null")]
    pub answer_reactions: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    pub transcription_language: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub analysis_prompt_id: Option<Option<PromptId>>,
    #[serde(default, deserialize_with = "present")]
    pub analysis_prompt_version: Option<Option<u32>>,
    #[serde(default, deserialize_with = "present")]
    pub analyze_after_minutes: Option<Option<u32>>,
    #[serde(default, deserialize_with = "not_null")]
    pub knowledge_bases: Option<Vec<KnowledgeBaseId>>,
    #[serde(default, deserialize_with = "not_null")]
    pub knowledge_in_context: Option<bool>,
}

impl TryFrom<NewAgentBody> for NewAgent {
    type Error = InvalidField;

    fn try_from(body: NewAgentBody) -> Result<Self, InvalidField> {
        Ok(NewAgent {
            name: required_text("name", &body.name, MAX_NAME_CHARS)?,
            prompt_id: body.prompt_id,
            prompt_version: body.prompt_version,
            prompt_label: body.prompt_label.as_deref().map(prompt_label).transpose()?,
            traffic_split: body.traffic_split.as_ref().filter(|v| !v.is_null()).map(traffic_split).transpose()?,
            model: model(body.model)?,
            first_message: first_message(body.first_message)?,
            follow_up: body.follow_up.map(follow_up).transpose()?,
            tools: tools(body.tools)?,
            fallback_text: fallback(body.fallback_text)?,
            reply_delay: reply_delay(body.reply_delay_seconds)?,
            answer_reactions: body.answer_reactions,
            transcription_language: transcription_language(body.transcription_language)?,
            analysis: AnalysisChoice {
                prompt_id: body.analysis_prompt_id,
                prompt_version: body.analysis_prompt_version,
                after_minutes: analyze_after(body.analyze_after_minutes)?,
            },
            knowledge: KnowledgeUse {
                bases: knowledge_bases(body.knowledge_bases)?,
                in_context: body.knowledge_in_context,
            },
        })
    }
}

impl TryFrom<AgentChangeBody> for AgentChange {
    type Error = InvalidField;

    fn try_from(body: AgentChangeBody) -> Result<Self, InvalidField> {
        Ok(AgentChange {
            name: body.name.map(|name| required_text("name", &name, MAX_NAME_CHARS)).transpose()?,
            prompt_id: body.prompt_id,
            prompt_version: body.prompt_version,
            prompt_label: body.prompt_label.map(|l| l.as_deref().map(prompt_label).transpose()).transpose()?,
            traffic_split: body.traffic_split.map(|split| split.as_ref().map(traffic_split).transpose()).transpose()?,
            model: body.model.map(model).transpose()?,
            first_message: body.first_message.map(first_message).transpose()?,
            follow_up: body.follow_up.map(|policy| policy.map(follow_up).transpose()).transpose()?,
            tools: body.tools.map(tools).transpose()?,
            fallback_text: body.fallback_text.map(fallback).transpose()?,
            reply_delay: body.reply_delay_seconds.map(reply_delay).transpose()?,
            answer_reactions: body.answer_reactions,
            transcription_language: body.transcription_language.map(transcription_language).transpose()?,
            analysis_prompt_id: body.analysis_prompt_id,
            analysis_prompt_version: body.analysis_prompt_version,
            analyze_after_minutes: body.analyze_after_minutes.map(analyze_after).transpose()?,
            knowledge_bases: body.knowledge_bases.map(knowledge_bases).transpose()?,
            knowledge_in_context: body.knowledge_in_context,
        })
    }
}

fn traffic_split(value: &serde_json::Value) -> Result<[SplitArm; 2], InvalidField> {
    colloquy_domain::agents::split::parse_arms(value).map_err(|err| err.under("trafficSplit"))
}

fn prompt_label(text: &str) -> Result<LabelName, InvalidField> {
    LabelName::parse(text).map_err(|err| err.at("promptLabel"))
}

fn knowledge_bases(bases: Vec<KnowledgeBaseId>) -> Result<Vec<KnowledgeBaseId>, InvalidField> {
    colloquy_domain::knowledge::parse_named_bases(bases).map_err(|err| err.at("knowledgeBases"))
}

fn model(body: ModelBody) -> Result<ModelSettings, InvalidField> {
    let name = required_text("model.name", &body.name, MAX_MODEL_NAME_CHARS)?;
    let temperature = body
        .temperature
        .map(|t| Temperature::within(t, Temperature::MAX))
        .transpose()
        .map_err(|err| err.at("model.temperature"))?;
    let max_tokens = body.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS);
    if !(1..=MAX_TOKENS_LIMIT).contains(&max_tokens) {
        return Err(InvalidField::new("model.maxTokens", format!("must be from 1 to {MAX_TOKENS_LIMIT}")));
    }
    Ok(ModelSettings { provider: body.provider, name, temperature, max_tokens, accepts_images: body.accepts_images })
}

fn follow_up(mut policy: FollowUpPolicy) -> Result<FollowUpPolicy, InvalidField> {
    if !(1..=10_080).contains(&policy.after_minutes) {
        return Err(InvalidField::new("followUp.afterMinutes", "must be from 1 to 10080 (a week)"));
    }
    if !(1..=10).contains(&policy.max_attempts) {
        return Err(InvalidField::new("followUp.maxAttempts", "must be from 1 to 10"));
    }
    required_text("followUp.instruction", &policy.instruction, 2000)?;
    policy.template = policy.template.map(|t| template("followUp.template", t)).transpose()?;
    Ok(policy)
}

/// Trimmed; empty is none; at most `max` characters.
fn optional_text(field: &str, text: Option<String>, max: usize) -> Result<Option<String>, InvalidField> {
    match text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()) {
        Some(t) if t.chars().count() > max => {
            Err(InvalidField::new(field, format!("must be at most {max} characters")))
        }
        other => Ok(other),
    }
}

fn first_message(text: Option<String>) -> Result<Option<String>, InvalidField> {
    optional_text("firstMessage", text, MAX_FIRST_MESSAGE_CHARS)
}

fn fallback(text: Option<String>) -> Result<Option<String>, InvalidField> {
    optional_text("fallbackText", text, MAX_FALLBACK_CHARS)
}

fn tools(list: Vec<Tool>) -> Result<Vec<Tool>, InvalidField> {
    if list.len() > MAX_TOOLS {
        return Err(InvalidField::new("tools", format!("at most {MAX_TOOLS} tools")));
    }
    list.into_iter()
        .enumerate()
        .map(|(i, tool)| Ok(Tool::named(required_text(&format!("tools[{i}].name"), &tool.name, MAX_TOOL_NAME_CHARS)?)))
        .collect()
}

fn reply_delay(seconds: Option<u32>) -> Result<Option<ReplyDelay>, InvalidField> {
    seconds.map(ReplyDelay::from_seconds).transpose().map_err(|err| err.at("replyDelaySeconds"))
}

fn transcription_language(language: Option<String>) -> Result<Option<LanguageCode>, InvalidField> {
    language.as_deref().map(LanguageCode::parse).transpose().map_err(|err| err.at("transcriptionLanguage"))
}

fn analyze_after(minutes: Option<u32>) -> Result<Option<u32>, InvalidField> {
    match minutes {
        Some(minutes) if !(1..=MAX_ANALYZE_AFTER_MINUTES).contains(&minutes) => Err(InvalidField::new(
            "analyzeAfterMinutes",
            format!("must be from 1 to {MAX_ANALYZE_AFTER_MINUTES} (30 days)"),
        )),
        other => Ok(other),
    }
}
