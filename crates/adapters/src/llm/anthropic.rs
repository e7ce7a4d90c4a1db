//! Anthropic messages. The stable prefix (tools, then the system prompt, in Anthropic's order) is
//! marked with `cache_control` breakpoints on the last tool and on the system block; the turn's
//! own context (a second system block) and the turns, which change with every message, carry none.
//! Anthropic reports cache reads and writes apart from `input_tokens`; the reply counts all three
//! as input and the reads as cached.

use serde_json::{json, Value};

use super::{count, post_json, role, Endpoint};
use crate::ports::{ChatReply, ChatRequest, ChatTurn, LlmError, ToolCallRequest};

pub(super) async fn complete(
    http: &reqwest::Client,
    endpoint: &Endpoint,
    request: &ChatRequest,
) -> Result<ChatReply, LlmError> {
    let url = format!("{}/v1/messages", endpoint.base_url.trim_end_matches('/'));
    let headers = [("x-api-key", endpoint.api_key.as_str()), ("anthropic-version", "2023-06-01")];
    let answer = post_json(http, url, &headers, &body(request)).await?;
    reply(&answer, request)
}

/// Caches the prefix up to the block it is put on, for five minutes from its last use.
fn cache_breakpoint() -> Value {
    json!({"type": "ephemeral"})
}

fn body(request: &ChatRequest) -> Value {
    let messages: Vec<Value> = request.turns.iter().map(message_of).collect();
    let mut body = json!({"model": request.model, "messages": messages, "max_tokens": request.max_tokens});
    let mut system = Vec::new();
    if !request.system.is_empty() {
        system.push(json!({"type": "text", "text": request.system, "cache_control": cache_breakpoint()}));
    }
    if !request.turn_context.is_empty() {
        system.push(json!({"type": "text", "text": request.turn_context}));
    }
    if !system.is_empty() {
        body["system"] = Value::Array(system);
    }
    if let Some(t) = request.temperature {
        body["temperature"] = json!(t.value().min(1.0));
    }
    if !request.tools.is_empty() {
        let mut tools: Vec<Value> = request
            .tools
            .iter()
            .map(|t| json!({"name": t.name, "description": t.description, "input_schema": t.parameters}))
            .collect();
        if let Some(last) = tools.last_mut() {
            last["cache_control"] = cache_breakpoint();
        }
        body["tools"] = Value::Array(tools);
    }
    body
}

fn reply(answer: &Value, request: &ChatRequest) -> Result<ChatReply, LlmError> {
    let blocks = answer["content"].as_array().ok_or_else(|| LlmError::Malformed("no content blocks".into()))?;
    let text: String = blocks.iter().filter(|b| b["type"] == "text").filter_map(|b| b["text"].as_str()).collect();
    let tool_calls = blocks
        .iter()
        .filter(|b| b["type"] == "tool_use")
        .filter_map(|b| {
            Some(ToolCallRequest {
                id: b["id"].as_str()?.to_owned(),
                name: b["name"].as_str()?.to_owned(),
                arguments: b["input"].to_string(),
            })
        })
        .collect();
    let usage = &answer["usage"];
    let cached = count(&usage["cache_read_input_tokens"]);
    let written = count(&usage["cache_creation_input_tokens"]);
    Ok(ChatReply {
        text,
        input_tokens: count(&usage["input_tokens"]).saturating_add(cached).saturating_add(written),
        cached_input_tokens: cached,
        output_tokens: count(&usage["output_tokens"]),
        model: answer["model"].as_str().unwrap_or(&request.model).to_owned(),
        tool_calls,
    })
}

/// A turn as one Anthropic message: text, `tool_use` and `tool_result` blocks.
fn message_of(turn: &ChatTurn) -> Value {
    if turn.tool_calls.is_empty() && turn.tool_results.is_empty() && turn.images.is_empty() {
        return json!({"role": role(turn.role), "content": turn.content});
    }
    let mut blocks = Vec::new();
    for image in &turn.images {
        blocks.push(
            json!({"type": "image", "source": {"type": "base64", "media_type": image.mime_type, "data": image.base64}}),
        );
    }
    for result in &turn.tool_results {
        blocks.push(json!({"type": "tool_result", "tool_use_id": result.call_id, "content": result.content, "is_error": result.is_error}));
    }
    if !turn.content.is_empty() {
        blocks.push(json!({"type": "text", "text": turn.content}));
    }
    for call in &turn.tool_calls {
        let input =
            serde_json::from_str::<Value>(&call.arguments).ok().filter(Value::is_object).unwrap_or_else(|| json!({}));
        blocks.push(json!({"type": "tool_use", "id": call.id, "name": call.name, "input": input}));
    }
    json!({"role": role(turn.role), "content": blocks})
}
