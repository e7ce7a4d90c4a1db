//! A local stand-in for Anthropic's messages API, clearly labelled, that applies Anthropic's
//! prompt-caching rules to what it is sent, so that the request benchmark can say how much of
//! a conversation's input Colloquy's requests let a provider serve from its cache.
//!
//! The rules as simulated: the prefix up to the last `cache_control` breakpoint among the tools
//! and the system prompt (Anthropic's order: tools, then system, then messages) is cached when
//! it is at least `MIN_CACHED_TOKENS` long; a later request with the same prefix reads it (its
//! tokens are `cache_read_input_tokens`), the first writes it (`cache_creation_input_tokens`).
//! Tokens are estimated as a quarter of the characters; the cache never expires here (Anthropic
//! keeps an entry five minutes from its last use, longer than a benchmark's conversation).

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Mutex, OnceLock};

use colloquy_api::http::{response, Body, Response};
use lambda_http::http::StatusCode;
use serde_json::{json, Value};

use crate::llm_standin::LABEL;

/// Anthropic's minimum for a cacheable prefix (Claude Sonnet and Opus; Haiku's is 2,048).
pub const MIN_CACHED_TOKENS: usize = 1024;

fn tokens(text: &str) -> usize {
    text.chars().count().div_ceil(4)
}

/// The prefixes seen so far, by hash.
fn cache() -> &'static Mutex<HashSet<u64>> {
    static SEEN: OnceLock<Mutex<HashSet<u64>>> = OnceLock::new();
    SEEN.get_or_init(|| Mutex::new(HashSet::new()))
}

/// The tools and the system prompt as one text, and how much of it the last breakpoint marks.
fn head_and_cached_len(request: &Value) -> (String, usize) {
    let mut head = String::new();
    let mut cached = 0;
    let tools = request["tools"].as_array().into_iter().flatten();
    let system: Vec<Value> = match &request["system"] {
        Value::Array(blocks) => blocks.clone(),
        Value::String(text) => vec![json!({"type": "text", "text": text})],
        _ => Vec::new(),
    };
    for block in tools.chain(system.iter()) {
        head.push_str(&block.to_string());
        if block.get("cache_control").is_some() {
            cached = head.len();
        }
    }
    (head, cached)
}

/// `POST /llm/v1/messages`: echoes the contact's last words, labelled, with the usage the
/// caching rules give.
pub fn answer(body: &[u8]) -> Response<Body> {
    let request: Value = serde_json::from_slice(body).unwrap_or_default();
    let messages = request["messages"].as_array().cloned().unwrap_or_default();
    let last = messages.iter().rev().find(|m| m["role"] == "user").map(|m| &m["content"]);
    let said = match last {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(blocks)) => blocks.iter().filter_map(|b| b["text"].as_str()).collect::<Vec<_>>().join(" "),
        _ => String::new(),
    };
    let (head, cached_len) = head_and_cached_len(&request);
    let prefix = &head[..cached_len];
    let prefix_tokens = tokens(prefix);
    let all_tokens = tokens(&head) + tokens(&Value::Array(messages).to_string());
    let (read, written) = if prefix_tokens < MIN_CACHED_TOKENS {
        (0, 0)
    } else {
        let mut hasher = DefaultHasher::new();
        prefix.hash(&mut hasher);
        let fresh = cache().lock().map(|mut seen| seen.insert(hasher.finish())).unwrap_or(true);
        if fresh {
            (0, prefix_tokens)
        } else {
            (prefix_tokens, 0)
        }
    };
    let text = format!("{LABEL} You said: {said}");
    response::json(
        StatusCode::OK,
        &json!({
            "id": "msg_local", "type": "message", "role": "assistant", "model": "local-stand-in",
            "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
            "usage": {
                "input_tokens": all_tokens - read - written,
                "cache_read_input_tokens": read,
                "cache_creation_input_tokens": written,
                "output_tokens": tokens(&text)
            }
        }),
    )
}
