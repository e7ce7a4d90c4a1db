//! Tools as workspace resources: create, read, list, change (PATCH semantics), delete; and the
//! check that names on prompts and agents are tools the workspace has.

pub mod call;
pub mod model;
pub mod port;
pub mod tool_calls;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::model::input::required_text;
use crate::model::outbound_url::OutboundRules;
use crate::model::{Page, PageRequest, Principal, ToolId, WorkspaceId};
use crate::ports::{Clock, StoreError, ToolStore};
use crate::tools::model::{
    is_valid_name, ToolDef, BUILT_IN, DEFAULT_APPROVAL_EXPIRY_MINUTES, DEFAULT_TIMEOUT_SECONDS,
    MAX_APPROVAL_EXPIRY_MINUTES, MAX_TIMEOUT_SECONDS,
};
use crate::AppError;

pub const MAX_DESCRIPTION_CHARS: usize = 1024;
pub const MAX_SCHEMA_BYTES: usize = 16 * 1024;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewTool {
    pub name: String,
    pub description: String,
    #[serde(default)]
    pub parameters: Option<Map<String, Value>>,
    pub url: String,
    #[serde(default)]
    pub timeout_seconds: Option<u32>,
    #[serde(default)]
    pub require_approval: bool,
    #[serde(default)]
    pub approval_expiry_minutes: Option<u32>,
    #[serde(default)]
    pub arguments: Option<Map<String, Value>>,
}

/// Absent leaves a field as it is; `null` resets `parameters`, `arguments` and the numbers to
/// their defaults.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolChange {
    #[serde(default, deserialize_with = "crate::model::input::not_null")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "crate::model::input::not_null")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "crate::model::input::present")]
    pub parameters: Option<Option<Map<String, Value>>>,
    #[serde(default, deserialize_with = "crate::model::input::not_null")]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "crate::model::input::present")]
    pub timeout_seconds: Option<Option<u32>>,
    #[serde(default, deserialize_with = "crate::model::input::not_null")]
    pub require_approval: Option<bool>,
    #[serde(default, deserialize_with = "crate::model::input::present")]
    pub approval_expiry_minutes: Option<Option<u32>>,
    #[serde(default, deserialize_with = "crate::model::input::present")]
    pub arguments: Option<Option<Map<String, Value>>>,
}

fn name(value: &str) -> Result<String, AppError> {
    if !is_valid_name(value) {
        return Err(AppError::invalid("name", "must be 1 to 64 letters, digits, `_` or `-` (the model sees it)"));
    }
    if BUILT_IN.contains(&value) {
        return Err(AppError::invalid("name", format!("`{value}` is a built-in tool; choose another name")));
    }
    Ok(value.to_owned())
}

fn empty_object_schema() -> Map<String, Value> {
    let mut schema = Map::new();
    schema.insert("type".into(), "object".into());
    schema.insert("properties".into(), Value::Object(Map::new()));
    schema
}

/// A JSON Schema for an object, valid against its meta-schema, with no reference that would have
/// to be fetched.
fn parameters(schema: Option<Map<String, Value>>) -> Result<Map<String, Value>, AppError> {
    let Some(schema) = schema else { return Ok(empty_object_schema()) };
    let value = Value::Object(schema.clone());
    if value.to_string().len() > MAX_SCHEMA_BYTES {
        return Err(AppError::invalid("parameters", format!("must be at most {MAX_SCHEMA_BYTES} bytes of JSON")));
    }
    if schema.get("type").and_then(Value::as_str) != Some("object") {
        return Err(AppError::invalid("parameters", "must be a JSON Schema with `\"type\": \"object\"`"));
    }
    if let Err(err) = jsonschema::meta::validate(&value) {
        return Err(AppError::invalid("parameters", format!("is not a valid JSON Schema: {err}")));
    }
    if let Err(err) = crate::tools::model::argument_validator(&value) {
        return Err(AppError::invalid(
            "parameters",
            format!("cannot be used: {err} (patterns may not use backreferences or look-arounds)"),
        ));
    }
    Ok(schema)
}

fn arguments(fixed: Option<Map<String, Value>>) -> Result<Map<String, Value>, AppError> {
    let fixed = fixed.unwrap_or_default();
    if Value::Object(fixed.clone()).to_string().len() > MAX_SCHEMA_BYTES {
        return Err(AppError::invalid("arguments", format!("must be at most {MAX_SCHEMA_BYTES} bytes of JSON")));
    }
    Ok(fixed)
}

fn url(rules: &OutboundRules, text: &str) -> Result<String, AppError> {
    crate::model::outbound_url::check(text, rules)
        .map(|url| url.to_string())
        .map_err(|why| AppError::invalid("url", why))
}

fn in_range(field: &str, value: Option<u32>, default: u32, max: u32) -> Result<u32, AppError> {
    match value.unwrap_or(default) {
        n if (1..=max).contains(&n) => Ok(n),
        _ => Err(AppError::invalid(field, format!("must be from 1 to {max}"))),
    }
}

fn name_taken(name: &str) -> AppError {
    AppError::Conflict(format!("name: the workspace already has a tool called `{name}`"))
}

pub async fn create_tool(
    tools: &dyn ToolStore,
    clock: &dyn Clock,
    rules: &OutboundRules,
    principal: &Principal,
    input: NewTool,
) -> Result<ToolDef, AppError> {
    let now = clock.now();
    let tool = ToolDef {
        id: ToolId::generate(),
        workspace_id: principal.workspace_id.clone(),
        name: name(&input.name)?,
        description: required_text("description", &input.description, MAX_DESCRIPTION_CHARS)?,
        parameters: parameters(input.parameters)?,
        url: url(rules, &input.url)?,
        timeout_seconds: in_range(
            "timeoutSeconds",
            input.timeout_seconds,
            DEFAULT_TIMEOUT_SECONDS,
            MAX_TIMEOUT_SECONDS,
        )?,
        require_approval: input.require_approval,
        approval_expiry_minutes: in_range(
            "approvalExpiryMinutes",
            input.approval_expiry_minutes,
            DEFAULT_APPROVAL_EXPIRY_MINUTES,
            MAX_APPROVAL_EXPIRY_MINUTES,
        )?,
        arguments: arguments(input.arguments)?,
        created_at: now,
        updated_at: now,
        revision: 0,
    };
    match tools.create_tool(&tool).await {
        Ok(()) => Ok(tool),
        Err(StoreError::Conflict(_)) => Err(name_taken(&tool.name)),
        Err(err) => Err(err.into()),
    }
}

pub async fn get_tool(tools: &dyn ToolStore, principal: &Principal, tool_id: &ToolId) -> Result<ToolDef, AppError> {
    tools
        .get_tool(&principal.workspace_id, tool_id)
        .await?
        .ok_or_else(|| AppError::not_found(&format!("tool `{tool_id}`")))
}

pub async fn list_tools(
    tools: &dyn ToolStore,
    principal: &Principal,
    page: &PageRequest,
) -> Result<Page<ToolDef>, AppError> {
    Ok(tools.list_tools(&principal.workspace_id, page).await?)
}

pub async fn change_tool(
    tools: &dyn ToolStore,
    clock: &dyn Clock,
    rules: &OutboundRules,
    principal: &Principal,
    tool_id: &ToolId,
    change: ToolChange,
) -> Result<ToolDef, AppError> {
    let mut retries = crate::optimistic::Retries::new("the tool");
    loop {
        retries.another().await?;
        let current = get_tool(tools, principal, tool_id).await?;
        let tool = changed_tool(clock, rules, current.clone(), change.clone())?;
        match tools.replace_tool(&tool, &current.name, current.revision).await {
            Ok(()) => return Ok(tool),
            // The name is taken, the tool is gone, or another change came first: a read tells.
            Err(StoreError::Conflict(_)) => match tools.get_tool(&principal.workspace_id, tool_id).await? {
                Some(now) if now.revision != current.revision => continue,
                Some(_) => return Err(name_taken(&tool.name)),
                None => return Err(AppError::not_found(&format!("tool `{tool_id}`"))),
            },
            Err(err) => return Err(err.into()),
        }
    }
}

fn changed_tool(
    clock: &dyn Clock,
    rules: &OutboundRules,
    mut tool: ToolDef,
    change: ToolChange,
) -> Result<ToolDef, AppError> {
    if let Some(text) = change.name {
        tool.name = name(&text)?;
    }
    if let Some(text) = change.description {
        tool.description = required_text("description", &text, MAX_DESCRIPTION_CHARS)?;
    }
    if let Some(schema) = change.parameters {
        tool.parameters = parameters(schema)?;
    }
    if let Some(text) = change.url {
        tool.url = url(rules, &text)?;
    }
    if let Some(seconds) = change.timeout_seconds {
        tool.timeout_seconds = in_range("timeoutSeconds", seconds, DEFAULT_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS)?;
    }
    if let Some(flag) = change.require_approval {
        tool.require_approval = flag;
    }
    if let Some(minutes) = change.approval_expiry_minutes {
        tool.approval_expiry_minutes =
            in_range("approvalExpiryMinutes", minutes, DEFAULT_APPROVAL_EXPIRY_MINUTES, MAX_APPROVAL_EXPIRY_MINUTES)?;
    }
    if let Some(fixed) = change.arguments {
        tool.arguments = arguments(fixed)?;
    }
    tool.updated_at = clock.now();
    tool.revision += 1;
    Ok(tool)
}

pub async fn delete_tool(tools: &dyn ToolStore, principal: &Principal, tool_id: &ToolId) -> Result<(), AppError> {
    let tool = get_tool(tools, principal, tool_id).await?;
    if tools.delete_tool(&tool).await? {
        Ok(())
    } else {
        Err(AppError::not_found(&format!("tool `{tool_id}`")))
    }
}

/// The names that are neither a built-in nor one of the workspace's tools, each once, in order:
/// a prompt may name tools before they exist, and the model is offered only those that do.
pub async fn unresolved(
    tools: &dyn ToolStore,
    workspace_id: &WorkspaceId,
    names: &[&str],
) -> Result<Vec<String>, AppError> {
    let mut missing: Vec<String> = Vec::new();
    for &name in names {
        if BUILT_IN.contains(&name) || missing.iter().any(|m| m == name) {
            continue;
        }
        if tools.find_tool_by_name(workspace_id, name).await?.is_none() {
            missing.push(name.to_owned());
        }
    }
    Ok(missing)
}

/// Every name is a built-in tool or one of the workspace's; otherwise 400 naming the first that
/// is not.
pub async fn check_names(
    tools: &dyn ToolStore,
    workspace_id: &WorkspaceId,
    field: &str,
    names: &[String],
) -> Result<(), AppError> {
    for (index, name) in names.iter().enumerate() {
        let name = name.as_str();
        if BUILT_IN.contains(&name) {
            continue;
        }
        if tools.find_tool_by_name(workspace_id, name).await?.is_none() {
            return Err(AppError::invalid(
                format!("{field}[{index}].name"),
                format!("the workspace has no tool called `{name}` (create it with POST /api/v1/tools/, or use a built-in: {})", BUILT_IN.join(", ")),
            ));
        }
    }
    Ok(())
}
