//! A local stand-in for an LLM, clearly labelled: it answers OpenAI-style chat completions by
//! echoing, so the loop runs without an API key. Set `LLM_BASE_URL` and `LLM_API_KEY` for a real one.

use std::time::Duration;

use colloquy::adapters::llm::{Endpoint, LlmClient};
use colloquy::http::{response, Body, Response};
use lambda_http::http::StatusCode;
use serde_json::{json, Value};

pub const PATH_PREFIX: &str = "/llm/";
pub const LABEL: &str = "[local stand-in model: set LLM_BASE_URL and LLM_API_KEY for a real one]";

pub fn client(port: u16) -> Result<LlmClient, String> {
    let endpoint = Endpoint { base_url: format!("http://127.0.0.1:{port}/llm/v1"), api_key: "local".into() };
    Ok(LlmClient::new(Some(endpoint), None, Duration::from_secs(10))?.openai_for_all())
}

/// `POST /llm/v1/chat/completions`
pub fn answer(body: &[u8]) -> Response<Body> {
    let request: Value = serde_json::from_slice(body).unwrap_or_default();
    let messages = request["messages"].as_array().cloned().unwrap_or_default();
    let last = messages.iter().rev().find(|m| m["role"] == "user").and_then(|m| m["content"].as_str()).unwrap_or("");
    let text = format!("{LABEL} You said: {last}");
    let input: usize =
        messages.iter().filter_map(|m| m["content"].as_str()).map(|c| c.split_whitespace().count()).sum();
    response::json(
        StatusCode::OK,
        &json!({
            "id": "chatcmpl-local", "object": "chat.completion", "model": "local-stand-in",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": input, "completion_tokens": text.split_whitespace().count()}
        }),
    )
}
