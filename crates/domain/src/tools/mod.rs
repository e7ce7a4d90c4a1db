//! Tools as workspace resources: create, read, list, change (PATCH semantics), delete; and the
//! check that names on prompts and agents are tools the workspace has.

pub mod call;
pub mod model;
pub mod port;
pub mod tool_calls;

use serde_json::{Map, Value};

use crate::model::outbound_url::OutboundRules;
use crate::model::values::OutOfRange;
use crate::model::{Page, PageRequest, Principal, ToolId, WorkspaceId};
use crate::ports::{Clock, StoreError, ToolStore};
use crate::tools::model::{
    is_valid_name, ToolDef, BUILT_IN, DEFAULT_APPROVAL_EXPIRY_MINUTES, DEFAULT_TIMEOUT_SECONDS,
    MAX_APPROVAL_EXPIRY_MINUTES, MAX_TIMEOUT_SECONDS,
};
use crate::AppError;

pub const MAX_DESCRIPTION_CHARS: usize = 1024;
pub const MAX_SCHEMA_BYTES: usize = 16 * 1024;

/// A new tool, its values parsed (the API's `POST /api/v1/tools/` body).
#[derive(Debug)]
pub struct NewTool {
    pub name: String,
    pub description: String,
    pub parameters: Map<String, Value>,
    /// Checked against the deployment's outbound rules.
    pub url: String,
    pub timeout_seconds: u32,
    pub require_approval: bool,
    pub approval_expiry_minutes: u32,
    pub arguments: Map<String, Value>,
}

/// A change of a tool: `None` leaves a field as it is.
#[derive(Debug, Default, Clone)]
pub struct ToolChange {
    pub name: Option<String>,
    pub description: Option<String>,
    pub parameters: Option<Map<String, Value>>,
    pub url: Option<String>,
    pub timeout_seconds: Option<u32>,
    pub require_approval: Option<bool>,
    pub approval_expiry_minutes: Option<u32>,
    pub arguments: Option<Map<String, Value>>,
}

/// The name the model calls the tool by: 1 to 64 letters, digits, `_` or `-`, not a built-in's.
pub fn parse_name(value: &str) -> Result<String, OutOfRange> {
    if !is_valid_name(value) {
        return Err(OutOfRange::new("must be 1 to 64 letters, digits, `_` or `-` (the model sees it)"));
    }
    if BUILT_IN.contains(&value) {
        return Err(OutOfRange::new(format!("`{value}` is a built-in tool; choose another name")));
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
/// to be fetched; none is an object without properties.
pub fn parse_parameters(schema: Option<Map<String, Value>>) -> Result<Map<String, Value>, OutOfRange> {
    let Some(schema) = schema else { return Ok(empty_object_schema()) };
    let value = Value::Object(schema.clone());
    if value.to_string().len() > MAX_SCHEMA_BYTES {
        return Err(OutOfRange::new(format!("must be at most {MAX_SCHEMA_BYTES} bytes of JSON")));
    }
    if schema.get("type").and_then(Value::as_str) != Some("object") {
        return Err(OutOfRange::new("must be a JSON Schema with `\"type\": \"object\"`"));
    }
    if let Err(err) = jsonschema::meta::validate(&value) {
        return Err(OutOfRange::new(format!("is not a valid JSON Schema: {err}")));
    }
    if let Err(err) = crate::tools::model::argument_validator(&value) {
        return Err(OutOfRange::new(format!(
            "cannot be used: {err} (patterns may not use backreferences or look-arounds)"
        )));
    }
    Ok(schema)
}

/// Arguments sent on every call besides the model's; none is an empty object.
pub fn parse_arguments(fixed: Option<Map<String, Value>>) -> Result<Map<String, Value>, OutOfRange> {
    let fixed = fixed.unwrap_or_default();
    if Value::Object(fixed.clone()).to_string().len() > MAX_SCHEMA_BYTES {
        return Err(OutOfRange::new(format!("must be at most {MAX_SCHEMA_BYTES} bytes of JSON")));
    }
    Ok(fixed)
}

/// An HTTPS address the deployment's outbound rules allow.
pub fn parse_url(rules: &OutboundRules, text: &str) -> Result<String, OutOfRange> {
    crate::model::outbound_url::check(text, rules).map(|url| url.to_string()).map_err(OutOfRange::new)
}

/// Seconds a call may take; none is the default.
pub fn parse_timeout(seconds: Option<u32>) -> Result<u32, OutOfRange> {
    in_range(seconds, DEFAULT_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS)
}

/// Minutes a call waits for a person's approval; none is the default.
pub fn parse_approval_expiry(minutes: Option<u32>) -> Result<u32, OutOfRange> {
    in_range(minutes, DEFAULT_APPROVAL_EXPIRY_MINUTES, MAX_APPROVAL_EXPIRY_MINUTES)
}

fn in_range(value: Option<u32>, default: u32, max: u32) -> Result<u32, OutOfRange> {
    match value.unwrap_or(default) {
        n if (1..=max).contains(&n) => Ok(n),
        _ => Err(OutOfRange::new(format!("must be from 1 to {max}"))),
    }
}

fn name_taken(name: &str) -> AppError {
    AppError::Conflict(format!("name: the workspace already has a tool called `{name}`"))
}

pub async fn create_tool(
    tools: &dyn ToolStore,
    clock: &dyn Clock,
    principal: &Principal,
    input: NewTool,
) -> Result<ToolDef, AppError> {
    let now = clock.now();
    let tool = ToolDef {
        id: ToolId::generate(),
        workspace_id: principal.workspace_id.clone(),
        name: input.name,
        description: input.description,
        parameters: input.parameters,
        url: input.url,
        timeout_seconds: input.timeout_seconds,
        require_approval: input.require_approval,
        approval_expiry_minutes: input.approval_expiry_minutes,
        arguments: input.arguments,
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
    principal: &Principal,
    tool_id: &ToolId,
    change: ToolChange,
) -> Result<ToolDef, AppError> {
    let mut retries = crate::optimistic::Retries::new("the tool");
    loop {
        retries.another().await?;
        let current = get_tool(tools, principal, tool_id).await?;
        let tool = changed_tool(clock, current.clone(), change.clone());
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

fn changed_tool(clock: &dyn Clock, mut tool: ToolDef, change: ToolChange) -> ToolDef {
    tool.name = change.name.unwrap_or(tool.name);
    tool.description = change.description.unwrap_or(tool.description);
    tool.parameters = change.parameters.unwrap_or(tool.parameters);
    tool.url = change.url.unwrap_or(tool.url);
    tool.timeout_seconds = change.timeout_seconds.unwrap_or(tool.timeout_seconds);
    tool.require_approval = change.require_approval.unwrap_or(tool.require_approval);
    tool.approval_expiry_minutes = change.approval_expiry_minutes.unwrap_or(tool.approval_expiry_minutes);
    tool.arguments = change.arguments.unwrap_or(tool.arguments);
    tool.updated_at = clock.now();
    tool.revision += 1;
    tool
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

/// The first name that is neither a built-in tool nor one of the workspace's, by its index, with
/// what to do about it.
pub async fn first_unknown(
    tools: &dyn ToolStore,
    workspace_id: &WorkspaceId,
    names: &[String],
) -> Result<Option<(usize, String)>, AppError> {
    for (index, name) in names.iter().enumerate() {
        let name = name.as_str();
        if BUILT_IN.contains(&name) {
            continue;
        }
        if tools.find_tool_by_name(workspace_id, name).await?.is_none() {
            let problem = format!(
                "the workspace has no tool called `{name}` (create it with POST /api/v1/tools/, or use a built-in: {})",
                BUILT_IN.join(", ")
            );
            return Ok(Some((index, problem)));
        }
    }
    Ok(None)
}
