//! Versioned prompts: eigi's create-or-version by name, leasing's edit-by-id with checkpoints,
//! and reading, listing and restoring versions.

pub mod model;
pub mod port;
pub mod user_prompt;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::model::input::required_text;
use crate::model::{
    Page, PageRequest, Principal, Prompt, PromptContent, PromptId, PromptVersion, Temperature, Tool, VersionNotes,
    VersionSource,
};
use crate::optimistic::Retries;
use crate::ports::PromptFilter;
use crate::ports::{Clock, PromptStore, PromptWrite, StoreError, ToolStore};
use crate::prompts::model::display_version;
use crate::AppError;

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_TEXT_CHARS: usize = 100_000;
pub const MAX_DESCRIPTION_CHARS: usize = 1_000;
pub const MAX_TOOLS: usize = 50;
pub const MAX_RESPONSE_TIME_SECONDS: f64 = 600.0;
const MAX_METADATA_BYTES: usize = 16 * 1024;
/// Concurrent writers each lose at most once per winner; this many rounds covers real bursts.
const PROMPT_WRITE_ATTEMPTS: u32 = 12;
/// `POST /v1/public/prompts`
#[derive(Debug, Deserialize)]
pub struct NewPromptVersion {
    pub prompt_name: String,
    pub prompt_content: String,
    #[serde(default)]
    pub prompt_metadata: Option<Map<String, Value>>,
}

/// `PUT /api/prompts/{promptId}`: every field optional; `null` clears an optional one.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PromptEdit {
    pub name: Option<String>,
    pub prompt: Option<String>,
    #[serde(default, deserialize_with = "crate::model::input::present")]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::model::input::present")]
    pub temperature: Option<Option<f64>>,
    #[serde(default, deserialize_with = "crate::model::input::present")]
    pub response_time: Option<Option<f64>>,
    #[serde(default, deserialize_with = "crate::model::input::present")]
    pub tools: Option<Option<Vec<Tool>>>,
    #[serde(default, deserialize_with = "crate::model::input::present")]
    pub tool_configs: Option<Option<Map<String, Value>>>,
    pub is_hidden: Option<bool>,
}

/// `POST /api/prompts/{promptId}/versions`: what the person saving says about the version.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManualSave {
    pub label: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
}

pub const MAX_LABEL_CHARS: usize = 200;

fn optional_text(field: &str, value: Option<String>, max: usize) -> Result<Option<String>, AppError> {
    let Some(value) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) else { return Ok(None) };
    let length = value.chars().count();
    if length > max {
        return Err(AppError::invalid(field, format!("must be at most {max} characters (got {length})")));
    }
    Ok(Some(value))
}

impl ManualSave {
    fn notes(self) -> Result<VersionNotes, AppError> {
        Ok(VersionNotes {
            label: optional_text("label", self.label, MAX_LABEL_CHARS)?,
            title: optional_text("title", self.title, MAX_LABEL_CHARS)?,
            description: optional_text("description", self.description, MAX_DESCRIPTION_CHARS)?,
        })
    }
}

fn text(field: &str, value: &str) -> Result<String, AppError> {
    if value.trim().is_empty() {
        return Err(AppError::invalid(field, "must not be empty"));
    }
    let length = value.chars().count();
    if length > MAX_TEXT_CHARS {
        return Err(AppError::invalid(field, format!("must be at most {MAX_TEXT_CHARS} characters (got {length})")));
    }
    Ok(value.to_owned())
}

fn metadata(value: Map<String, Value>) -> Result<Map<String, Value>, AppError> {
    match value.get("prompt_type") {
        None | Some(Value::Null) => {}
        Some(Value::String(kind)) if kind == "main" || kind == "analysis" => {}
        Some(other) => {
            return Err(AppError::invalid(
                "prompt_metadata.prompt_type",
                format!("must be `main` or `analysis` (got {other})"),
            ))
        }
    }
    if Value::Object(value.clone()).to_string().len() > MAX_METADATA_BYTES {
        return Err(AppError::invalid(
            "prompt_metadata",
            format!("must be at most {MAX_METADATA_BYTES} bytes of JSON"),
        ));
    }
    Ok(value)
}

/// Checks the range and keeps three decimal places: finer settings mean nothing to a model, and
/// DynamoDB numbers cannot hold magnitudes below 1e-130.
fn number_in(field: &str, value: f64, low: f64, high: f64) -> Result<f64, AppError> {
    if value.is_finite() && (low..=high).contains(&value) {
        Ok((value * 1000.0).round() / 1000.0)
    } else {
        Err(AppError::invalid(field, format!("must be a number from {low} to {high} (got {value})")))
    }
}

fn tools(tools: Vec<Tool>) -> Result<Vec<Tool>, AppError> {
    if tools.len() > MAX_TOOLS {
        return Err(AppError::invalid("tools", format!("at most {MAX_TOOLS} tools")));
    }
    let size = serde_json::to_string(&tools).map(|text| text.len()).unwrap_or(usize::MAX);
    if size > MAX_METADATA_BYTES {
        return Err(AppError::invalid("tools", format!("must be at most {MAX_METADATA_BYTES} bytes of JSON")));
    }
    tools
        .into_iter()
        .enumerate()
        .map(|(index, tool)| {
            Ok(Tool { name: required_text(&format!("tools[{index}].name"), &tool.name, 64)?, settings: tool.settings })
        })
        .collect()
}

fn tool_configs(configs: Map<String, Value>) -> Result<Map<String, Value>, AppError> {
    for (tool, config) in &configs {
        let field = format!("toolConfigs.{tool}");
        let Value::Object(settings) = config else {
            return Err(AppError::invalid(field, "must be an object of settings, e.g. {\"requireApproval\": true}"));
        };
        if let Some(flag) = settings.get("requireApproval") {
            if !flag.is_boolean() {
                return Err(AppError::invalid(format!("{field}.requireApproval"), "must be true or false"));
            }
        }
    }
    if Value::Object(configs.clone()).to_string().len() > MAX_METADATA_BYTES {
        return Err(AppError::invalid("toolConfigs", format!("must be at most {MAX_METADATA_BYTES} bytes of JSON")));
    }
    Ok(configs)
}

impl PromptEdit {
    /// Checks every field and applies the edit to a working copy.
    fn apply(self, name: &str, content: &PromptContent) -> Result<(String, PromptContent), AppError> {
        let mut content = content.clone();
        let name = match self.name {
            Some(name) => required_text("name", &name, MAX_NAME_CHARS)?,
            None => name.to_owned(),
        };
        if let Some(prompt) = self.prompt {
            content.text = text("prompt", &prompt)?;
        }
        if let Some(description) = self.description {
            content.description = optional_text("description", description, MAX_DESCRIPTION_CHARS)?;
        }
        if let Some(temperature) = self.temperature {
            content.temperature = temperature
                .map(|t| Temperature::within(t, Temperature::MAX_FOR_PROMPTS))
                .transpose()
                .map_err(|err| err.at("temperature"))?;
        }
        if let Some(seconds) = self.response_time {
            content.response_time =
                seconds.map(|s| number_in("responseTime", s, 0.0, MAX_RESPONSE_TIME_SECONDS)).transpose()?;
        }
        if let Some(list) = self.tools {
            content.tools = tools(list.unwrap_or_default())?;
        }
        if let Some(configs) = self.tool_configs {
            content.tool_configs = tool_configs(configs.unwrap_or_default())?;
        }
        Ok((name, content))
    }
}

/// eigi: a new name makes a prompt at version 1; an existing name gets the next version.
pub async fn create_version_by_name(
    prompts: &dyn PromptStore,
    clock: &dyn Clock,
    principal: &Principal,
    input: NewPromptVersion,
) -> Result<(Prompt, PromptVersion), AppError> {
    let name = required_text("prompt_name", &input.prompt_name, MAX_NAME_CHARS)?;
    let content_text = text("prompt_content", &input.prompt_content)?;
    let metadata = input.prompt_metadata.map(metadata).transpose()?;
    let mut retries = Retries::with_attempts("the prompt", PROMPT_WRITE_ATTEMPTS);
    loop {
        retries.another().await?;
        let now = clock.now();
        let existing = prompts.find_prompt_by_name(&principal.workspace_id, &name).await?;
        let (prompt, version, expected_revision) = match existing {
            None => {
                let content = PromptContent {
                    text: content_text.clone(),
                    metadata: metadata.clone().unwrap_or_default(),
                    ..Default::default()
                };
                let (prompt, version) = Prompt::create(&principal.workspace_id, name.clone(), content, now);
                (Prompt { edited_by: Some(principal.key_prefix.clone()), ..prompt }, version, None)
            }
            Some(current) => {
                let mut content = PromptContent { text: content_text.clone(), ..current.content.clone() };
                if let Some(metadata) = &metadata {
                    content.metadata = metadata.clone();
                }
                let (prompt, version) =
                    current.append_version(content, VersionSource::Create, VersionNotes::default(), now);
                (Prompt { edited_by: Some(principal.key_prefix.clone()), ..prompt }, version, Some(current.revision))
            }
        };
        let write = PromptWrite { prompt: &prompt, expected_revision, version: Some(&version), previous_name: None };
        match prompts.save_prompt(write).await {
            Ok(()) => return Ok((prompt, version)),
            Err(StoreError::Conflict(_)) => continue,
            Err(err) => return Err(err.into()),
        }
    }
}

fn prompt_not_found(prompt_id: &PromptId) -> AppError {
    AppError::not_found(&format!("prompt `{prompt_id}`"))
}

/// The tools a prompt names that resolve to nothing in its workspace (yet).
pub async fn unresolved_tools(tools: &dyn ToolStore, prompt: &Prompt) -> Result<Vec<String>, AppError> {
    let names: Vec<&str> = prompt.content.tools.iter().map(|tool| tool.name.as_str()).collect();
    crate::tools::unresolved(tools, &prompt.workspace_id, &names).await
}

pub async fn get_prompt(
    prompts: &dyn PromptStore,
    principal: &Principal,
    prompt_id: &PromptId,
) -> Result<Prompt, AppError> {
    prompts.get_prompt(&principal.workspace_id, prompt_id).await?.ok_or_else(|| prompt_not_found(prompt_id))
}

/// The latest version of the prompt called `name`, or its version `version`.
pub async fn get_by_name(
    prompts: &dyn PromptStore,
    principal: &Principal,
    name: &str,
    version: Option<u32>,
) -> Result<(Prompt, PromptVersion), AppError> {
    let prompt = prompts
        .find_prompt_by_name(&principal.workspace_id, name)
        .await?
        .ok_or_else(|| AppError::not_found(&format!("prompt named `{name}`")))?;
    let number = version.unwrap_or(prompt.latest_version);
    let found = prompts.get_prompt_version(&prompt.id, number).await?;
    let version = found.ok_or_else(|| AppError::not_found(&format!("version {number} of prompt `{name}`")))?;
    Ok((prompt, version))
}

pub async fn list_prompts(
    prompts: &dyn PromptStore,
    principal: &Principal,
    filter: &PromptFilter<'_>,
    page: &PageRequest,
) -> Result<Page<Prompt>, AppError> {
    Ok(prompts.list_prompts(&principal.workspace_id, filter, page).await?)
}

/// leasing: edits the working copy; returns the version when this edit captured one.
pub async fn edit_prompt(
    prompts: &dyn PromptStore,
    clock: &dyn Clock,
    principal: &Principal,
    prompt_id: &PromptId,
    edit: PromptEdit,
) -> Result<(Prompt, Option<PromptVersion>), AppError> {
    let mut current = get_prompt(prompts, principal, prompt_id).await?;
    // After a lost race the same edit is applied again to a fresh read.
    let mut retries = Retries::with_attempts("the prompt", PROMPT_WRITE_ATTEMPTS);
    loop {
        retries.another().await?;
        let (name, content) = edit.clone().apply(&current.name, &current.content)?;
        if name != current.name {
            if let Some(holder) = prompts.find_prompt_by_name(&principal.workspace_id, &name).await? {
                if holder.id != current.id {
                    return Err(AppError::Conflict(format!(
                        "name: another prompt of this workspace is called `{name}`"
                    )));
                }
            }
        }
        let hidden = edit.is_hidden.unwrap_or(current.is_hidden);
        if name == current.name && content == current.content && hidden == current.is_hidden {
            return Ok((current, None));
        }
        let (updated, version) = current.edit(name, content, clock.now());
        let updated = Prompt { is_hidden: hidden, edited_by: Some(principal.key_prefix.clone()), ..updated };
        let write = PromptWrite {
            prompt: &updated,
            expected_revision: Some(current.revision),
            version: version.as_ref(),
            previous_name: Some(&current.name),
        };
        match prompts.save_prompt(write).await {
            Ok(()) => return Ok((updated, version)),
            Err(StoreError::Conflict(_)) => {
                current = get_prompt(prompts, principal, prompt_id).await?;
            }
            Err(err) => return Err(err.into()),
        }
    }
}

pub async fn list_versions(
    prompts: &dyn PromptStore,
    principal: &Principal,
    prompt_id: &PromptId,
    page: &PageRequest,
) -> Result<(Prompt, Page<PromptVersion>), AppError> {
    let prompt = get_prompt(prompts, principal, prompt_id).await?;
    let versions = prompts.list_prompt_versions(&prompt.id, page).await?;
    Ok((prompt, versions))
}

pub async fn get_version(
    prompts: &dyn PromptStore,
    principal: &Principal,
    prompt_id: &PromptId,
    number: u32,
) -> Result<(Prompt, PromptVersion), AppError> {
    let prompt = get_prompt(prompts, principal, prompt_id).await?;
    let version = prompts
        .get_prompt_version(&prompt.id, number)
        .await?
        .ok_or_else(|| AppError::not_found(&format!("version {number} of prompt `{prompt_id}`")))?;
    Ok((prompt, version))
}

/// Makes an old version's content the working copy, as a new version: history only grows.
pub async fn restore_version(
    prompts: &dyn PromptStore,
    clock: &dyn Clock,
    principal: &Principal,
    prompt_id: &PromptId,
    number: u32,
) -> Result<(Prompt, PromptVersion), AppError> {
    let (_, old) = get_version(prompts, principal, prompt_id, number).await?;
    let notes =
        VersionNotes { label: Some(format!("Restored from {}", display_version(old.version))), ..Default::default() };
    append_version(prompts, clock, principal, prompt_id, Some(old.content), VersionSource::Restore, notes).await
}

/// Captures the working copy as a new version, as the person asked (`source: manual_save`).
pub async fn save_version(
    prompts: &dyn PromptStore,
    clock: &dyn Clock,
    principal: &Principal,
    prompt_id: &PromptId,
    input: ManualSave,
) -> Result<(Prompt, PromptVersion), AppError> {
    append_version(prompts, clock, principal, prompt_id, None, VersionSource::ManualSave, input.notes()?).await
}

/// Appends a version of `content` (the working copy when `None`) to the prompt as it stands, on a
/// fresh read after a lost race.
async fn append_version(
    prompts: &dyn PromptStore,
    clock: &dyn Clock,
    principal: &Principal,
    prompt_id: &PromptId,
    content: Option<PromptContent>,
    source: VersionSource,
    notes: VersionNotes,
) -> Result<(Prompt, PromptVersion), AppError> {
    let mut retries = Retries::with_attempts("the prompt", PROMPT_WRITE_ATTEMPTS);
    loop {
        retries.another().await?;
        let current = get_prompt(prompts, principal, prompt_id).await?;
        let content = content.clone().unwrap_or_else(|| current.content.clone());
        let (prompt, version) = current.append_version(content, source, notes.clone(), clock.now());
        let prompt = Prompt { edited_by: Some(principal.key_prefix.clone()), ..prompt };
        let write = PromptWrite {
            prompt: &prompt,
            expected_revision: Some(current.revision),
            version: Some(&version),
            previous_name: None,
        };
        match prompts.save_prompt(write).await {
            Ok(()) => return Ok((prompt, version)),
            Err(StoreError::Conflict(_)) => continue,
            Err(err) => return Err(err.into()),
        }
    }
}

/// A version number from the path or query: a whole number from 1.
pub fn parse_version(field: &str, text: &str) -> Result<u32, AppError> {
    match text.parse::<u32>() {
        Ok(number) if number >= 1 => Ok(number),
        _ => Err(AppError::invalid(field, format!("must be a version number (1, 2, …); got `{text}`"))),
    }
}
