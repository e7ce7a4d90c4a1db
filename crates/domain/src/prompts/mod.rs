//! Versioned prompts: eigi's create-or-version by name, leasing's edit-by-id with checkpoints,
//! and reading, listing and restoring versions.

pub mod labels;
pub mod model;
pub mod port;
pub mod user_prompt;

use serde_json::{Map, Value};

use crate::knowledge::port::KnowledgeStore;
use crate::model::input::{required_text, InvalidField};
use crate::model::values::OutOfRange;
use crate::model::{
    KnowledgeBaseId, Page, PageRequest, Principal, Prompt, PromptContent, PromptId, PromptVersion, Temperature, Tool,
    VersionNotes, VersionSource,
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
pub const MAX_METADATA_BYTES: usize = 16 * 1024;
/// Concurrent writers each lose at most once per winner; this many rounds covers real bursts.
pub(crate) const PROMPT_WRITE_ATTEMPTS: u32 = 12;
/// A prompt's new version by name (eigi's `POST /v1/public/prompts`), its values parsed.
#[derive(Debug)]
pub struct NewPromptVersion {
    pub name: String,
    pub text: String,
    pub metadata: Option<Map<String, Value>>,
    /// `None` keeps the previous version's.
    pub knowledge_bases: Option<Vec<KnowledgeBaseId>>,
}

/// What the prompt writes that check what they name use.
#[derive(Clone, Copy)]
pub struct PromptPorts<'a> {
    pub prompts: &'a dyn PromptStore,
    /// Knowledge bases a prompt names must be its workspace's.
    pub knowledge: &'a dyn KnowledgeStore,
    pub clock: &'a dyn Clock,
}

/// Why a prompt's content was refused; the API names the field in its shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PromptRejection {
    /// The knowledge base at `index` of the prompt's is not the workspace's.
    #[error("no knowledge base with this id in the workspace")]
    UnknownKnowledgeBase { index: usize },
}

impl From<PromptRejection> for AppError {
    fn from(rejection: PromptRejection) -> Self {
        Self::Rejected(rejection.into())
    }
}

/// Refuses knowledge bases that are not the workspace's.
async fn check_knowledge(
    knowledge: &dyn KnowledgeStore,
    principal: &Principal,
    bases: Option<&[KnowledgeBaseId]>,
) -> Result<(), AppError> {
    let Some(bases) = bases else { return Ok(()) };
    match crate::knowledge::first_unknown(knowledge, &principal.workspace_id, bases).await? {
        Some(index) => Err(PromptRejection::UnknownKnowledgeBase { index }.into()),
        None => Ok(()),
    }
}

/// An edit of a prompt's working copy (leasing's `PUT /api/prompts/{promptId}`), its values
/// parsed: `None` leaves a field as it is; `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct PromptEdit {
    pub name: Option<String>,
    pub text: Option<String>,
    pub description: Option<Option<String>>,
    pub temperature: Option<Option<Temperature>>,
    pub response_time: Option<Option<f64>>,
    pub tools: Option<Vec<Tool>>,
    pub tool_configs: Option<Map<String, Value>>,
    pub knowledge_bases: Option<Vec<KnowledgeBaseId>>,
    pub is_hidden: Option<bool>,
}

pub const MAX_LABEL_CHARS: usize = 200;

/// Trimmed; empty is none; at most `max` characters.
pub fn optional_text(value: Option<String>, max: usize) -> Result<Option<String>, OutOfRange> {
    let Some(value) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) else { return Ok(None) };
    let length = value.chars().count();
    if length > max {
        return Err(OutOfRange::new(format!("must be at most {max} characters (got {length})")));
    }
    Ok(Some(value))
}

/// A prompt's text: not blank, at most `MAX_TEXT_CHARS`, kept as written.
pub fn text(value: &str) -> Result<String, OutOfRange> {
    if value.trim().is_empty() {
        return Err(OutOfRange::new("must not be empty"));
    }
    let length = value.chars().count();
    if length > MAX_TEXT_CHARS {
        return Err(OutOfRange::new(format!("must be at most {MAX_TEXT_CHARS} characters (got {length})")));
    }
    Ok(value.to_owned())
}

/// A prompt's metadata: its `prompt_type`, if any, is `main` or `analysis`; at most
/// `MAX_METADATA_BYTES` of JSON. Errors name the key within the metadata.
pub fn metadata(value: Map<String, Value>) -> Result<Map<String, Value>, InvalidField> {
    match value.get("prompt_type") {
        None | Some(Value::Null) => {}
        Some(Value::String(kind)) if kind == "main" || kind == "analysis" => {}
        Some(other) => {
            return Err(InvalidField::new("prompt_type", format!("must be `main` or `analysis` (got {other})")))
        }
    }
    if Value::Object(value.clone()).to_string().len() > MAX_METADATA_BYTES {
        return Err(InvalidField::new("", format!("must be at most {MAX_METADATA_BYTES} bytes of JSON")));
    }
    Ok(value)
}

/// Seconds the agent waits before answering: from 0 to `MAX_RESPONSE_TIME_SECONDS`, kept to
/// three decimal places (finer means nothing; DynamoDB cannot hold magnitudes below 1e-130).
pub fn response_time(value: f64) -> Result<f64, OutOfRange> {
    let high = MAX_RESPONSE_TIME_SECONDS;
    if value.is_finite() && (0.0..=high).contains(&value) {
        Ok((value * 1000.0).round() / 1000.0)
    } else {
        Err(OutOfRange::new(format!("must be a number from 0 to {high} (got {value})")))
    }
}

/// The tools a prompt names: at most `MAX_TOOLS`, each named, `MAX_METADATA_BYTES` of JSON in
/// all. Errors name the tool by its index.
pub fn tools(tools: Vec<Tool>) -> Result<Vec<Tool>, InvalidField> {
    if tools.len() > MAX_TOOLS {
        return Err(InvalidField::new("", format!("at most {MAX_TOOLS} tools")));
    }
    let size = serde_json::to_string(&tools).map(|text| text.len()).unwrap_or(usize::MAX);
    if size > MAX_METADATA_BYTES {
        return Err(InvalidField::new("", format!("must be at most {MAX_METADATA_BYTES} bytes of JSON")));
    }
    tools
        .into_iter()
        .enumerate()
        .map(|(index, tool)| {
            Ok(Tool { name: required_text(&format!("[{index}].name"), &tool.name, 64)?, settings: tool.settings })
        })
        .collect()
}

/// Settings by tool name: each an object, its `requireApproval` a boolean. Errors name the tool.
pub fn tool_configs(configs: Map<String, Value>) -> Result<Map<String, Value>, InvalidField> {
    for (tool, config) in &configs {
        let Value::Object(settings) = config else {
            return Err(InvalidField::new(tool, "must be an object of settings, e.g. {\"requireApproval\": true}"));
        };
        if let Some(flag) = settings.get("requireApproval") {
            if !flag.is_boolean() {
                return Err(InvalidField::new(format!("{tool}.requireApproval"), "must be true or false"));
            }
        }
    }
    if Value::Object(configs.clone()).to_string().len() > MAX_METADATA_BYTES {
        return Err(InvalidField::new("", format!("must be at most {MAX_METADATA_BYTES} bytes of JSON")));
    }
    Ok(configs)
}

impl PromptEdit {
    /// The edit applied to a working copy.
    fn apply(self, name: &str, content: &PromptContent) -> (String, PromptContent) {
        let mut content = content.clone();
        let name = self.name.unwrap_or_else(|| name.to_owned());
        if let Some(text) = self.text {
            content.text = text;
        }
        if let Some(description) = self.description {
            content.description = description;
        }
        if let Some(temperature) = self.temperature {
            content.temperature = temperature;
        }
        if let Some(seconds) = self.response_time {
            content.response_time = seconds;
        }
        if let Some(list) = self.tools {
            content.tools = list;
        }
        if let Some(configs) = self.tool_configs {
            content.tool_configs = configs;
        }
        if let Some(bases) = self.knowledge_bases {
            content.knowledge_bases = bases;
        }
        (name, content)
    }
}

/// eigi: a new name makes a prompt at version 1; an existing name gets the next version.
pub async fn create_version_by_name(
    ports: PromptPorts<'_>,
    principal: &Principal,
    input: NewPromptVersion,
) -> Result<(Prompt, PromptVersion), AppError> {
    let PromptPorts { prompts, knowledge, clock } = ports;
    let NewPromptVersion { name, text: content_text, metadata, knowledge_bases } = input;
    check_knowledge(knowledge, principal, knowledge_bases.as_deref()).await?;
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
                    knowledge_bases: knowledge_bases.clone().unwrap_or_default(),
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
                if let Some(bases) = &knowledge_bases {
                    content.knowledge_bases = bases.clone();
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

/// Which version of a prompt is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionPick {
    Latest,
    Number(u32),
    Label(labels::LabelName),
}

/// The version of the prompt called `name` that `pick` names.
pub async fn get_by_name(
    prompts: &dyn PromptStore,
    principal: &Principal,
    name: &str,
    pick: VersionPick,
) -> Result<(Prompt, PromptVersion), AppError> {
    let prompt = prompts
        .find_prompt_by_name(&principal.workspace_id, name)
        .await?
        .ok_or_else(|| AppError::not_found(&format!("prompt named `{name}`")))?;
    let number = match pick {
        VersionPick::Latest => prompt.latest_version,
        VersionPick::Number(number) => number,
        VersionPick::Label(label) => prompt
            .labels
            .version_of(&label)
            .ok_or_else(|| AppError::not_found(&format!("label `{label}` of prompt `{name}`")))?,
    };
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
    ports: PromptPorts<'_>,
    principal: &Principal,
    prompt_id: &PromptId,
    edit: PromptEdit,
) -> Result<(Prompt, Option<PromptVersion>), AppError> {
    let PromptPorts { prompts, knowledge, clock } = ports;
    check_knowledge(knowledge, principal, edit.knowledge_bases.as_deref()).await?;
    let mut current = get_prompt(prompts, principal, prompt_id).await?;
    // After a lost race the same edit is applied again to a fresh read.
    let mut retries = Retries::with_attempts("the prompt", PROMPT_WRITE_ATTEMPTS);
    loop {
        retries.another().await?;
        let (name, content) = edit.clone().apply(&current.name, &current.content);
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
    notes: VersionNotes,
) -> Result<(Prompt, PromptVersion), AppError> {
    append_version(prompts, clock, principal, prompt_id, None, VersionSource::ManualSave, notes).await
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
pub fn parse_version(text: &str) -> Result<u32, OutOfRange> {
    match text.parse::<u32>() {
        Ok(number) if number >= 1 => Ok(number),
        _ => Err(OutOfRange::new(format!("must be a version number (1, 2, …); got `{text}`"))),
    }
}
