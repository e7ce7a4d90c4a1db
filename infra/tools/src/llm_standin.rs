//! A local stand-in for an LLM, clearly labelled: it answers OpenAI-style chat completions by
//! echoing, so the loop runs without an API key. Set `LLM_BASE_URL` and `LLM_API_KEY` for a real one.

use std::time::Duration;

use colloquy_adapters::llm::{Endpoint, LlmClient};
use colloquy_adapters::transcription::TranscriptionClient;
use colloquy_api::http::{response, Body, Response};
use lambda_http::http::StatusCode;
use serde_json::{json, Value};

pub const PATH_PREFIX: &str = "/llm/";
pub const LABEL: &str = "[local stand-in model: set LLM_BASE_URL and LLM_API_KEY for a real one]";
pub const TRANSCRIPT_LABEL: &str = "[local stand-in transcription: set TRANSCRIPTION_BASE_URL and TRANSCRIPTION_API_KEY (or LLM_API_KEY) for a real one]";

fn endpoint(port: u16) -> Endpoint {
    Endpoint { base_url: format!("http://127.0.0.1:{port}/llm/v1"), api_key: "local".into() }
}

pub fn client(port: u16) -> Result<LlmClient, String> {
    Ok(LlmClient::new(Some(endpoint(port)), None, Duration::from_secs(10))?.openai_for_all())
}

pub fn transcriber(port: u16) -> Result<TranscriptionClient, String> {
    TranscriptionClient::new(endpoint(port), "local-stand-in".into(), Duration::from_secs(10))
}

/// `POST /llm/v1/chat/completions`. Echoes the contact's last message (and says how many images
/// it was shown); `/tool NAME {json}` calls the tool NAME (when the agent offers it) with those
/// arguments, and a tool's answer is repeated.
/// `POST /llm/v1/audio/transcriptions`: a fixed, labelled transcript.
/// `POST /llm/v1/messages`: Anthropic's shape, with its prompt caching simulated
/// (`anthropic_standin`).
pub fn answer(path: &str, body: &[u8]) -> Response<Body> {
    if path.ends_with("/v1/messages") {
        return crate::anthropic_standin::answer(body);
    }
    if path.ends_with("/audio/transcriptions") {
        let text = format!("{TRANSCRIPT_LABEL} A voice note of {} KB.", body.len() / 1024);
        return response::json(StatusCode::OK, &json!({"text": text, "duration": 3.0}));
    }
    let request: Value = serde_json::from_slice(body).unwrap_or_default();
    let messages = request["messages"].as_array().cloned().unwrap_or_default();
    if let Some(answer) = test_run_part(&messages) {
        return completion(json!({"role": "assistant", "content": answer}), 40);
    }
    let last_user = messages.iter().rev().find(|m| m["role"] == "user").cloned().unwrap_or_default();
    let parts = last_user["content"].as_array().cloned().unwrap_or_default();
    let shown = parts.iter().filter(|p| p["type"] == "image_url").count();
    let last_text = parts.iter().find(|p| p["type"] == "text").and_then(|p| p["text"].as_str());
    let last = last_user["content"].as_str().or(last_text).unwrap_or("");
    let seen = if shown > 0 { format!(" (and I was shown {shown} image(s))") } else { String::new() };
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
        (None, None) => json!({"role": "assistant", "content": format!("{LABEL} You said: {last}{seen}")}),
    };
    completion(message, input)
}

fn completion(message: Value, input: usize) -> Response<Body> {
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

/// A test run's simulated contact and judge, deterministic so that a suite passes or fails the
/// same way every time: the contact writes its goal, then is done once the agent has answered;
/// the judge scores 10 × the share of the rubric's quoted phrases ("…") the transcript contains
/// (10 when the rubric quotes none).
fn test_run_part(messages: &[Value]) -> Option<String> {
    let system = messages.first().filter(|m| m["role"] == "system")?["content"].as_str()?;
    if system.starts_with(colloquy_domain::test_suites::judge::CONTACT_OPENING) {
        let goal = system.lines().find_map(|line| line.strip_prefix("What you want: ")).unwrap_or("Hello");
        let answered = messages.iter().any(|m| m["role"] == "assistant");
        return Some(if answered { colloquy_domain::test_suites::judge::DONE.to_owned() } else { goal.to_owned() });
    }
    if system.starts_with(colloquy_domain::test_suites::judge::JUDGE_OPENING) {
        let rubric = system.split_once("Rubric:\n").map_or("", |(_, rubric)| rubric);
        let transcript = messages.iter().filter_map(|m| m["content"].as_str()).skip(1).collect::<Vec<_>>().join("\n");
        let quoted: Vec<&str> = rubric.split('"').skip(1).step_by(2).collect();
        let found = quoted.iter().filter(|phrase| transcript.to_lowercase().contains(&phrase.to_lowercase())).count();
        let score = if quoted.is_empty() { 10 } else { 10 * found / quoted.len() };
        let why = format!("{LABEL} {found} of the rubric's {} quoted phrases are in the transcript", quoted.len());
        return Some(json!({"score": score, "why": why}).to_string());
    }
    None
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
