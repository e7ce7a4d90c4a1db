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

/// `POST /llm/v1/chat/completions`. Echoes the contact's last message; `/tool NAME {json}` calls
/// the tool NAME (when the agent offers it) with those arguments, and a tool's answer is repeated.
pub fn answer(body: &[u8]) -> Response<Body> {
    let request: Value = serde_json::from_slice(body).unwrap_or_default();
    let messages = request["messages"].as_array().cloned().unwrap_or_default();
    let last = messages.iter().rev().find(|m| m["role"] == "user").and_then(|m| m["content"].as_str()).unwrap_or("");
    let input: usize =
        messages.iter().filter_map(|m| m["content"].as_str()).map(|c| c.split_whitespace().count()).sum();
    let after_tool = messages.last().filter(|m| m["role"] == "tool");
    let message = match (after_tool, requested_call(&request, last)) {
        (Some(result), _) => {
            let text = format!("{LABEL} The tool answered: {}", result["content"].as_str().unwrap_or(""));
            json!({"role": "assistant", "content": text})
        }
        (None, Some((name, arguments))) => json!({"role": "assistant", "content": null, "tool_calls": [
            {"id": format!("call_local_{}", messages.len()), "type": "function", "function": {"name": name, "arguments": arguments}}
        ]}),
        (None, None) => json!({"role": "assistant", "content": format!("{LABEL} You said: {last}")}),
    };
    let output = message["content"].as_str().map_or(8, |t| t.split_whitespace().count());
    response::json(
        StatusCode::OK,
        &json!({
            "id": "chatcmpl-local", "object": "chat.completion", "model": "local-stand-in",
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": input, "completion_tokens": output}
        }),
    )
}

/// `/tool NAME {"day": "Saturday"}` when NAME is among the tools offered: the name and the
/// arguments (`{}` when none are given).
fn requested_call(request: &Value, last: &str) -> Option<(String, String)> {
    let rest = last.trim().strip_prefix("/tool ")?.trim();
    let (name, arguments) = rest.split_once(char::is_whitespace).unwrap_or((rest, "{}"));
    let offered = request["tools"].as_array()?.iter().any(|t| t["function"]["name"] == name);
    offered.then(|| (name.to_owned(), arguments.trim().to_owned()))
}

/// `POST /sample-tool`: a tool receiver to try tools with. Answers what it got.
pub fn sample_tool(body: &[u8]) -> Response<Body> {
    let call: Value = serde_json::from_slice(body).unwrap_or_default();
    eprintln!("[sample tool] {} {}", call["tool"], call["arguments"]);
    response::json(StatusCode::OK, &json!({"ok": true, "tool": call["tool"], "arguments": call["arguments"]}))
}
