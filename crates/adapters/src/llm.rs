//! LLM adapters: OpenAI-compatible chat completions (OpenAI, Groq, vLLM, Ollama…) and
//! Anthropic messages, chosen per agent by its provider.

use std::time::Duration;

use async_trait::async_trait;
use serde_json::{json, Value};

use crate::model::Provider;
use crate::ports::{ChatReply, ChatRequest, ChatRole, ChatTurn, Llm, LlmError, ToolCallRequest};

#[derive(Clone)]
pub struct Endpoint {
    pub base_url: String,
    pub api_key: String,
}

/// Never prints the key.
impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint").field("base_url", &self.base_url).field("api_key", &"<redacted>").finish()
    }
}

#[derive(Clone)]
pub struct LlmClient {
    http: reqwest::Client,
    openai: Option<Endpoint>,
    anthropic: Option<Endpoint>,
    /// Local stand-in: every provider goes to the OpenAI-compatible endpoint.
    openai_for_all: bool,
}

impl LlmClient {
    pub fn new(openai: Option<Endpoint>, anthropic: Option<Endpoint>, timeout: Duration) -> Result<Self, String> {
        let http = super::https::client_builder(timeout)?
            .build()
            .map_err(|err| format!("cannot build the LLM HTTP client: {err}"))?;
        Ok(Self { http, openai, anthropic, openai_for_all: false })
    }

    pub fn openai_for_all(mut self) -> Self {
        self.openai_for_all = true;
        self
    }

    async fn post(&self, url: String, headers: &[(&str, &str)], body: &Value) -> Result<Value, LlmError> {
        let mut request = self.http.post(url).json(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(transport)?;
        if !(200..300).contains(&status) {
            return Err(LlmError::Status { status, body: text.chars().take(500).collect() });
        }
        serde_json::from_str(&text).map_err(|err| LlmError::Malformed(err.to_string()))
    }

    async fn openai(&self, endpoint: &Endpoint, request: &ChatRequest) -> Result<ChatReply, LlmError> {
        let mut messages = vec![json!({"role": "system", "content": request.system})];
        for turn in &request.turns {
            messages.extend(openai_messages(turn));
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
        let url = format!("{}/chat/completions", endpoint.base_url.trim_end_matches('/'));
        let bearer = format!("Bearer {}", endpoint.api_key);
        let answer = self.post(url, &[("authorization", &bearer)], &body).await?;
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
        Ok(ChatReply {
            text,
            input_tokens: answer["usage"]["prompt_tokens"].as_u64().unwrap_or(0),
            output_tokens: answer["usage"]["completion_tokens"].as_u64().unwrap_or(0),
            model: answer["model"].as_str().unwrap_or(&request.model).to_owned(),
            tool_calls,
        })
    }

    async fn anthropic(&self, endpoint: &Endpoint, request: &ChatRequest) -> Result<ChatReply, LlmError> {
        let messages: Vec<Value> = request.turns.iter().map(anthropic_message).collect();
        let mut body = json!({"model": request.model, "system": request.system, "messages": messages, "max_tokens": request.max_tokens});
        if let Some(t) = request.temperature {
            body["temperature"] = json!(t.value().min(1.0));
        }
        if !request.tools.is_empty() {
            let tools: Vec<Value> = request
                .tools
                .iter()
                .map(|t| json!({"name": t.name, "description": t.description, "input_schema": t.parameters}))
                .collect();
            body["tools"] = Value::Array(tools);
        }
        let url = format!("{}/v1/messages", endpoint.base_url.trim_end_matches('/'));
        let headers = [("x-api-key", endpoint.api_key.as_str()), ("anthropic-version", "2023-06-01")];
        let answer = self.post(url, &headers, &body).await?;
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
        Ok(ChatReply {
            text,
            input_tokens: answer["usage"]["input_tokens"].as_u64().unwrap_or(0),
            output_tokens: answer["usage"]["output_tokens"].as_u64().unwrap_or(0),
            model: answer["model"].as_str().unwrap_or(&request.model).to_owned(),
            tool_calls,
        })
    }
}

/// A turn as OpenAI-compatible messages: an assistant message with its `tool_calls`, or one
/// `tool` message per result followed by the user's text, if any.
fn openai_messages(turn: &ChatTurn) -> Vec<Value> {
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

/// A turn as one Anthropic message: text, `tool_use` and `tool_result` blocks.
fn anthropic_message(turn: &ChatTurn) -> Value {
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

fn role(role: ChatRole) -> &'static str {
    match role {
        ChatRole::User => "user",
        ChatRole::Assistant => "assistant",
    }
}

pub(crate) fn transport(err: reqwest::Error) -> LlmError {
    if err.is_timeout() {
        LlmError::Timeout
    } else {
        LlmError::Network(err.without_url().to_string())
    }
}

#[async_trait]
impl Llm for LlmClient {
    async fn complete(&self, request: &ChatRequest) -> Result<ChatReply, LlmError> {
        match (request.provider, &self.openai, &self.anthropic) {
            (_, Some(openai), _) if self.openai_for_all => self.openai(openai, request).await,
            (Provider::Openai, Some(openai), _) => self.openai(openai, request).await,
            (Provider::Anthropic, _, Some(anthropic)) => self.anthropic(anthropic, request).await,
            (provider, _, _) => Err(LlmError::NotConfigured(provider)),
        }
    }
}
