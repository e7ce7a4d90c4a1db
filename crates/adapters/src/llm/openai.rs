//! OpenAI-compatible chat completions. These providers cache a repeated prompt prefix on their
//! own (no marker to send); what they read from it is `usage.prompt_tokens_details.cached_tokens`,
//! a part of `prompt_tokens`.

use serde_json::{json, Value};

use super::{count, post_json, role, Endpoint};
use crate::ports::{ChatReply, ChatRequest, ChatTurn, LlmError, ToolCallRequest};

pub(super) async fn complete(
    http: &reqwest::Client,
    endpoint: &Endpoint,
    request: &ChatRequest,
) -> Result<ChatReply, LlmError> {
    let url = format!("{}/chat/completions", endpoint.base_url.trim_end_matches('/'));
    let bearer = format!("Bearer {}", endpoint.api_key);
    let answer = post_json(http, url, &[("authorization", &bearer)], &body(request)).await?;
    reply(&answer, request)
}

fn body(request: &ChatRequest) -> Value {
    let mut messages = vec![json!({"role": "system", "content": request.system})];
    // A second system message, so the first (with the tools) stays the cached prefix.
    if !request.turn_context.is_empty() {
        messages.push(json!({"role": "system", "content": request.turn_context}));
    }
    for turn in &request.turns {
        messages.extend(messages_of(turn));
    }
    let mut body = json!({"model": request.model, "messages": messages, "max_tokens": request.max_tokens});
    if request.json {
        body["response_format"] = json!({"type": "json_object"});
    }
    if let Some(t) = request.temperature {
        body["temperature"] = json!(t.value());
    }
    if !request.tools.is_empty() {
        let tools: Vec<Value> = request
            .tools
            .iter()
            .map(|t| json!({"type": "function", "function": {"name": t.name, "description": t.description, "parameters": t.parameters}}))
            .collect();
        body["tools"] = Value::Array(tools);
    }
    body
}

fn reply(answer: &Value, request: &ChatRequest) -> Result<ChatReply, LlmError> {
    let message = &answer["choices"][0]["message"];
    let tool_calls: Vec<ToolCallRequest> = message["tool_calls"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|call| {
            Some(ToolCallRequest {
                id: call["id"].as_str()?.to_owned(),
                name: call["function"]["name"].as_str()?.to_owned(),
                arguments: call["function"]["arguments"].as_str().unwrap_or("{}").to_owned(),
            })
        })
        .collect();
    let text = match message["content"].as_str() {
        Some(text) => text.to_owned(),
        None if !tool_calls.is_empty() => String::new(),
        None => return Err(LlmError::Malformed("no choices[0].message.content".into())),
    };
    let usage = &answer["usage"];
    let input_tokens = count(&usage["prompt_tokens"]);
    Ok(ChatReply {
        text,
        input_tokens,
        cached_input_tokens: count(&usage["prompt_tokens_details"]["cached_tokens"]).min(input_tokens),
        output_tokens: count(&usage["completion_tokens"]),
        model: answer["model"].as_str().unwrap_or(&request.model).to_owned(),
        tool_calls,
    })
}

/// A turn as OpenAI-compatible messages: an assistant message with its `tool_calls`, or one
/// `tool` message per result followed by the user's text, if any.
fn messages_of(turn: &ChatTurn) -> Vec<Value> {
    let mut messages = Vec::new();
    for result in &turn.tool_results {
        messages.push(json!({"role": "tool", "tool_call_id": result.call_id, "content": result.content}));
    }
    if turn.tool_calls.is_empty() {
        if !turn.images.is_empty() {
            let mut parts = vec![json!({"type": "text", "text": turn.content})];
            parts.extend(turn.images.iter().map(|image| {
                json!({"type": "image_url", "image_url": {"url": format!("data:{};base64,{}", image.mime_type, image.base64)}})
            }));
            messages.push(json!({"role": role(turn.role), "content": parts}));
        } else if !turn.content.is_empty() || turn.tool_results.is_empty() {
            messages.push(json!({"role": role(turn.role), "content": turn.content}));
        }
    } else {
        let calls: Vec<Value> = turn
            .tool_calls
            .iter()
            .map(|c| json!({"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}))
            .collect();
        let content = if turn.content.is_empty() { Value::Null } else { json!(turn.content) };
        messages.push(json!({"role": "assistant", "content": content, "tool_calls": calls}));
    }
    messages
}
