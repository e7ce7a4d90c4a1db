//! Amazon Bedrock end to end: agents whose provider is `bedrock` are answered through the
//! Converse API of a wiremock standing in for Bedrock Runtime (the AWS SDK pointed at it, every
//! request signed with SigV4 from the function's credentials: no key). The reply, the tool loop,
//! images, retries and refusals behave as they do with the other providers, and the stable
//! prefix of each request (tools, system prompt) ends in a cache point.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use colloquy_adapters::llm::{BedrockClient, BedrockConfig, LlmClient};
use colloquy_functions::worker::Worker;
use colloquy_tests::meta_payload;
use serde_json::{json, Value};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, Request, ResponseTemplate};

use crate::agent_loop::{agent_loop, completion, sent, Loop};
use crate::media::{conversation_id, fixture, patch_agent, serve, usage_today, IMAGE_ID};
use crate::tool_loop::{tool_loop, tool_requests};

/// A cross-region inference profile of a model that takes cache points.
const MODEL: &str = "us.anthropic.claude-sonnet-4-20250514-v1:0";
const CONVERSE: &str = r"^/model/[^/]+/converse$";

/// A Converse answer with these content blocks and usage.
fn converse(content: Value, usage: Value) -> ResponseTemplate {
    let stop = if content.as_array().into_iter().flatten().any(|b| b.get("toolUse").is_some()) {
        "tool_use"
    } else {
        "end_turn"
    };
    ResponseTemplate::new(200).set_body_json(json!({
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": stop, "usage": usage, "metrics": {"latencyMs": 420}
    }))
}

pub(crate) fn says(text: &str) -> ResponseTemplate {
    converse(
        json!([{"text": text}]),
        json!({"inputTokens": 20, "outputTokens": 9, "totalTokens": 1329, "cacheReadInputTokens": 1200, "cacheWriteInputTokens": 100}),
    )
}

/// An error as Bedrock answers it: its kind in `x-amzn-ErrorType`, a message in the body.
fn refused(status: u16, kind: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("x-amzn-ErrorType", format!("{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/"))
        .set_body_json(json!({"message": message}))
}

/// Moves the loop's agent to Bedrock (with `model` over the defaults) and gives back a worker
/// whose LLM client reaches Bedrock on the loop's LLM stand-in.
pub(crate) async fn on_bedrock(l: &Loop, model: Value) -> Worker {
    let mut settings = json!({"provider": "bedrock", "name": MODEL});
    for (key, value) in model.as_object().into_iter().flatten() {
        settings[key] = value.clone();
    }
    patch_agent(l, json!({"model": settings})).await;
    let mut app = l.inbox.stack.app.clone();
    let bedrock = BedrockClient::new(
        &l.inbox.stack.aws,
        BedrockConfig { region: Some("us-west-2".into()), endpoint_url: Some(l.llm.uri()) },
        StdDuration::from_secs(2),
    );
    app.llm = Arc::new(LlmClient::new(None, None, StdDuration::from_secs(2)).expect("client").with_bedrock(bedrock));
    Worker::new(app)
}

pub(crate) async fn converse_calls(l: &Loop) -> Vec<Request> {
    l.llm_calls().await.into_iter().filter(|r| r.url.path().ends_with("/converse")).collect()
}

pub(crate) fn body(request: &Request) -> Value {
    serde_json::from_slice(&request.body).unwrap_or_default()
}

#[tokio::test]
async fn a_reply_is_asked_of_bedrock_signed_with_the_role_and_cached_up_to_the_system_prompt() {
    let l = agent_loop().await;
    let worker = on_bedrock(&l, json!({"temperature": 0.5, "maxTokens": 300})).await;
    Mock::given(method("POST")).and(path_regex(CONVERSE)).respond_with(says("Yes, it is free.")).mount(&l.llm).await;
    Mock::given(method("POST")).respond_with(sent("wamid.REPLY")).mount(&l.graph).await;

    l.inbox.deliver(&meta_payload("text")).await;
    l.source.drain(&worker, 20).await.expect("worker runs");

    let calls = converse_calls(&l).await;
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].url.path(), "/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse");
    let authorization = calls[0].headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(authorization.starts_with("AWS4-HMAC-SHA256 Credential="), "signed with SigV4: {authorization}");
    assert!(authorization.contains("/us-west-2/bedrock/aws4_request"), "in the configured region: {authorization}");
    assert_eq!(
        body(&calls[0]),
        json!({
            "messages": [{"role": "user", "content": [{"text": "Hi, is the 2-bedroom still available?"}]}],
            "system": [{"text": "You are helpful."}, {"cachePoint": {"type": "default"}}],
            "inferenceConfig": {"maxTokens": 300, "temperature": 0.5}
        }),
        "the system prompt ends in a cache point; the turns carry none"
    );
    let sent = l.texts_sent().await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["text"]["body"], "Yes, it is free.");

    let reply = l.inbox.messages().await.into_iter().find(|m| m["direction"] == "outbound").unwrap_or_default();
    assert_eq!(
        reply["usage"],
        json!({"inputTokens": 1320, "cachedInputTokens": 1200, "outputTokens": 9, "model": MODEL}),
        "cache reads and writes are input; the reads are counted apart"
    );
    let conversation = l.inbox.conversations().await[0].clone();
    assert_eq!(conversation["id"], conversation_id(&l).await);
    assert_eq!(conversation["usage"], json!({"inputTokens": 1320, "cachedInputTokens": 1200, "outputTokens": 9}));
    let usage = usage_today(&l).await;
    assert_eq!(
        (&usage["totals"]["inputTokens"], &usage["totals"]["cachedInputTokens"], &usage["totals"]["calls"]),
        (&json!(1320), &json!(1200), &json!(1)),
        "{usage}"
    );
}

#[tokio::test]
async fn parallel_tool_calls_run_and_their_results_go_back_to_bedrock_as_tool_results() {
    let t = tool_loop(json!({}), completion("unused")).await;
    Mock::given(method("POST"))
        .and(path("/tools/book"))
        .respond_with(ResponseTemplate::new(200).set_body_string("booked"))
        .mount(&t.receiver)
        .await;
    let worker = on_bedrock(&t.l, json!({})).await;
    let two_calls = converse(
        json!([
            {"text": "Let me book both."},
            {"toolUse": {"toolUseId": "tooluse_sat", "name": "book_viewing", "input": {"day": "Saturday"}}},
            {"toolUse": {"toolUseId": "tooluse_sun", "name": "book_viewing", "input": {"day": "Sunday"}}}
        ]),
        json!({"inputTokens": 300, "outputTokens": 40, "totalTokens": 340}),
    );
    Mock::given(method("POST"))
        .and(path_regex(CONVERSE))
        .respond_with(two_calls)
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&t.l.llm)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(CONVERSE))
        .respond_with(says("Both viewings are booked."))
        .with_priority(2)
        .mount(&t.l.llm)
        .await;

    t.l.inbox.deliver(&meta_payload("text")).await;
    t.l.source.drain(&worker, 20).await.expect("worker runs");

    let booked: Vec<Value> = tool_requests(&t.receiver).await.iter().map(body).collect();
    let mut days: Vec<&str> = booked.iter().filter_map(|b| b["arguments"]["day"].as_str()).collect();
    days.sort_unstable();
    assert_eq!(days, ["Saturday", "Sunday"], "both calls ran: {booked:?}");
    let calls = converse_calls(&t.l).await;
    assert_eq!(calls.len(), 2);
    let first = body(&calls[0]);
    let tools = first["toolConfig"]["tools"].as_array().cloned().unwrap_or_default();
    assert_eq!(tools.first().map(|t| &t["toolSpec"]["name"]), Some(&json!("book_viewing")));
    assert!(tools[0]["toolSpec"]["inputSchema"]["json"]["properties"]["day"].is_object(), "{first}");
    assert_eq!(
        tools.last(),
        Some(&json!({"cachePoint": {"type": "default"}})),
        "the tool definitions end in a cache point"
    );
    let last = body(&calls[1]);
    let messages = last["messages"].as_array().cloned().unwrap_or_default();
    let assistant = &messages[messages.len() - 2];
    assert_eq!(assistant["role"], "assistant");
    assert_eq!(assistant["content"][0], json!({"text": "Let me book both."}));
    assert_eq!(assistant["content"][1]["toolUse"]["input"], json!({"day": "Saturday", "propertyId": "MC-1"}));
    assert_eq!(assistant["content"][2]["toolUse"]["toolUseId"], "tooluse_sun");
    let results = &messages[messages.len() - 1];
    assert_eq!(results["role"], "user");
    let mut answered: Vec<(&str, &Value, &str)> = results["content"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|b| {
            let r = &b["toolResult"];
            (r["toolUseId"].as_str().unwrap_or_default(), &r["content"], r["status"].as_str().unwrap_or_default())
        })
        .collect();
    answered.sort_by_key(|(id, _, _)| *id);
    assert_eq!(
        answered,
        [
            ("tooluse_sat", &json!([{"text": "booked"}]), "success"),
            ("tooluse_sun", &json!([{"text": "booked"}]), "success")
        ]
    );
    assert!(
        messages.iter().all(|m| m["content"].as_array().into_iter().flatten().all(|b| b.get("cachePoint").is_none())),
        "the turns carry no cache point: {last}"
    );
    let sent = t.l.texts_sent().await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["text"]["body"], "Both viewings are booked.");
}

#[tokio::test]
async fn an_image_reaches_a_bedrock_vision_model_as_image_bytes() {
    let l = agent_loop().await;
    let worker = on_bedrock(&l, json!({"acceptsImages": true})).await;
    serve(&l, IMAGE_ID, "image/jpeg", fixture("payslip.jpg"), None).await;
    Mock::given(method("POST")).and(path_regex(CONVERSE)).respond_with(says("Your pay qualifies.")).mount(&l.llm).await;
    Mock::given(method("POST")).respond_with(sent("wamid.REPLY")).mount(&l.graph).await;

    l.inbox.deliver(&meta_payload("image")).await;
    l.source.drain(&worker, 20).await.expect("worker runs");

    let calls = converse_calls(&l).await;
    assert_eq!(calls.len(), 1);
    let content = body(&calls[0])["messages"][0]["content"].clone();
    assert_eq!(content[0]["image"]["format"], "jpeg");
    let encoded = content[0]["image"]["source"]["bytes"].as_str().unwrap_or_default();
    let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, encoded).expect("base64");
    let image = image::load_from_memory(&bytes).expect("a JPEG");
    assert_eq!((image.width(), image.height()), (1024, 768), "downscaled as for the other providers");
    assert_eq!(content[1], json!({"text": "[image attached with the caption: My payslip]"}));
    assert_eq!(l.texts_sent().await.len(), 1);
}

#[tokio::test]
async fn throttling_is_retried_and_the_contact_still_gets_one_reply() {
    let l = agent_loop().await;
    let worker = on_bedrock(&l, json!({})).await;
    Mock::given(method("POST"))
        .and(path_regex(CONVERSE))
        .respond_with(refused(429, "ThrottlingException", "Too many requests, please wait before trying again."))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&l.llm)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(CONVERSE))
        .respond_with(says("Sorry for the wait: yes."))
        .with_priority(2)
        .mount(&l.llm)
        .await;
    Mock::given(method("POST")).respond_with(sent("wamid.REPLY")).mount(&l.graph).await;

    l.inbox.deliver(&meta_payload("text")).await;
    l.source.drain(&worker, 20).await.expect("worker runs");

    assert_eq!(converse_calls(&l).await.len(), 2, "throttled once, then answered");
    let sent = l.texts_sent().await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["text"]["body"], "Sorry for the wait: yes.");
}

#[tokio::test]
async fn an_access_error_fails_the_reply_at_once_with_bedrocks_reason() {
    let l = agent_loop().await;
    let worker = on_bedrock(&l, json!({})).await;
    let denied = "You don't have access to the model with the specified model ID.";
    Mock::given(method("POST"))
        .and(path_regex(CONVERSE))
        .respond_with(refused(403, "AccessDeniedException", denied))
        .mount(&l.llm)
        .await;
    Mock::given(method("POST")).respond_with(sent("wamid.REPLY")).mount(&l.graph).await;

    l.inbox.deliver(&meta_payload("text")).await;
    l.source.drain(&worker, 20).await.expect("worker runs");

    assert_eq!(converse_calls(&l).await.len(), 1, "a refusal is not retried");
    assert!(l.texts_sent().await.is_empty(), "nothing reaches the contact");
    let failed = l.inbox.messages().await.into_iter().find(|m| m["status"] == "failed").unwrap_or_default();
    let why = failed["error"]["message"].as_str().unwrap_or_default();
    assert!(why.contains("AccessDeniedException") && why.contains(denied), "the reason is kept: {failed}");
}

#[tokio::test]
async fn a_model_without_cache_points_is_sent_none() {
    let l = agent_loop().await;
    let worker = on_bedrock(&l, json!({"name": "meta.llama3-1-70b-instruct-v1:0"})).await;
    Mock::given(method("POST")).and(path_regex(CONVERSE)).respond_with(says("Yes.")).mount(&l.llm).await;
    Mock::given(method("POST")).respond_with(sent("wamid.REPLY")).mount(&l.graph).await;

    l.inbox.deliver(&meta_payload("text")).await;
    l.source.drain(&worker, 20).await.expect("worker runs");

    let calls = converse_calls(&l).await;
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].url.path(), "/model/meta.llama3-1-70b-instruct-v1%3A0/converse");
    assert_eq!(body(&calls[0])["system"], json!([{"text": "You are helpful."}]), "Llama would refuse a cache point");
    assert_eq!(l.texts_sent().await.len(), 1);
}

#[tokio::test]
async fn a_deployments_allowed_models_hold_for_bedrock_too() {
    let mut l = agent_loop().await;
    l.inbox.stack.app.allowed_models = Some(Arc::from(vec![MODEL.to_owned()]));
    let update = |model: &str| {
        colloquy_tests::ApiCall::fixture("update-agent")
            .key(&l.inbox.key)
            .path_param("id", &l.inbox.agent)
            .json(json!({"model": {"provider": "bedrock", "name": model}}))
    };

    let refused =
        colloquy_tests::call("update-agent", &l.inbox.stack.app, update("anthropic.claude-opus-4-1-20250805-v1:0"))
            .await;
    let allowed = colloquy_tests::call("update-agent", &l.inbox.stack.app, update(MODEL)).await;

    assert_eq!((refused.status, refused.error_field()), (400, Some("model.name")), "{}", refused.body);
    assert_eq!(allowed.status, 200, "{}", allowed.body);
    assert_eq!(allowed.body["model"]["provider"], "bedrock");
}
