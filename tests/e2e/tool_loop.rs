//! The tool loop end to end: the LLM (wiremock, both providers) asks for calls, the worker runs
//! them against a tool receiver (wiremock), feeds the results back, and pauses for a person's
//! approval where a tool asks for one.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use colloquy_adapters::llm::{Endpoint, LlmClient};
use colloquy_domain::model::Role;
use colloquy_domain::ports::{ConversationStore, ToolCallStore, Trigger, Turn};
use colloquy_domain::tools::call::ToolCallStatus;
use colloquy_functions::worker::Worker;
use colloquy_tests::{call, meta_payload, Answer, ApiCall};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::agent_loop::{agent_loop, completion, sent, Loop};

/// An OpenAI-compatible answer that calls tools: `(id, name, arguments)`.
pub(crate) fn tool_calls(calls: &[(&str, &str, Value)]) -> ResponseTemplate {
    let calls: Vec<Value> = calls
        .iter()
        .map(|(id, name, args)| json!({"id": id, "type": "function", "function": {"name": name, "arguments": args.to_string()}}))
        .collect();
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "chatcmpl-t", "object": "chat.completion", "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": null, "tool_calls": calls}, "finish_reason": "tool_calls"}],
        "usage": {"prompt_tokens": 40, "completion_tokens": 10, "total_tokens": 50}
    }))
}

pub(crate) struct Tools {
    pub(crate) l: Loop,
    pub(crate) receiver: MockServer,
    secret: String,
}

/// A loop whose agent may call `book_viewing` (on `receiver`, with `settings` over the defaults),
/// whose LLM answers first with `first` and then with a text.
pub(crate) async fn tool_loop(settings: Value, first: ResponseTemplate) -> Tools {
    let l = agent_loop().await;
    let receiver = MockServer::start().await;
    let events = ApiCall::fixture("update-workspace")
        .key(&l.inbox.key)
        .json(json!({"webhookUrl": format!("{}/events", receiver.uri())}));
    let set = call("update-workspace", &l.inbox.stack.app, events).await;
    let secret = set.body["webhookSecret"].as_str().unwrap_or_default().to_owned();
    let mut tool = json!({
        "name": "book_viewing", "description": "Books a flat viewing.",
        "parameters": {"type": "object", "properties": {"day": {"type": "string"}, "propertyId": {"type": "string"}}, "required": ["day"]},
        "url": format!("{}/tools/book", receiver.uri()), "arguments": {"propertyId": "MC-1"}, "timeoutSeconds": 1
    });
    for (key, value) in settings.as_object().into_iter().flatten() {
        tool[key] = value.clone();
    }
    let created = crate::tools::create(&l.inbox.stack, &l.inbox.key, tool).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let agent = ApiCall::fixture("update-agent")
        .key(&l.inbox.key)
        .path_param("id", &l.inbox.agent)
        .json(json!({"tools": [{"name": "book_viewing"}, {"name": "handoff_to_human"}]}));
    assert_eq!(call("update-agent", &l.inbox.stack.app, agent).await.status, 200);
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(first)
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&l.llm)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(completion("Your viewing is booked for Saturday."))
        .with_priority(2)
        .mount(&l.llm)
        .await;
    Mock::given(method("POST")).respond_with(sent("wamid.REPLY")).mount(&l.graph).await;
    Mock::given(method("POST")).and(path("/events")).respond_with(ResponseTemplate::new(204)).mount(&receiver).await;
    Tools { l, receiver, secret }
}

pub(crate) async fn tool_requests(receiver: &MockServer) -> Vec<Request> {
    let requests = receiver.received_requests().await.unwrap_or_default();
    requests.into_iter().filter(|r| r.url.path().starts_with("/tools/")).collect()
}

async fn events_of(receiver: &MockServer, kind: &str) -> Vec<Value> {
    let requests = receiver.received_requests().await.unwrap_or_default();
    requests
        .iter()
        .filter(|r| r.url.path() == "/events")
        .filter_map(|r| serde_json::from_slice::<Value>(&r.body).ok())
        .filter(|e| e["type"] == kind)
        .collect()
}

fn llm_bodies(requests: &[Request]) -> Vec<Value> {
    requests.iter().filter_map(|r| serde_json::from_slice::<Value>(&r.body).ok()).collect()
}

/// The `tool` messages the model got in its last request.
async fn tool_results_seen(l: &Loop) -> Vec<Value> {
    let bodies = llm_bodies(&l.llm_calls().await);
    let last = bodies.last().cloned().unwrap_or_default();
    last["messages"].as_array().into_iter().flatten().filter(|m| m["role"] == "tool").cloned().collect()
}

async fn calls(l: &Loop, key: &str) -> Answer {
    let conversation = l.inbox.conversations().await[0]["id"].as_str().unwrap_or_default().to_owned();
    let request = ApiCall::fixture("list-tool-calls").key(key).path_param("id", &conversation);
    call("list-tool-calls", &l.inbox.stack.app, request).await
}

async fn decide(l: &Loop, key: &str, id: &str, decision: &str, body: Option<Value>) -> Answer {
    let function = format!("{decision}-tool-call");
    let mut request = ApiCall::fixture(&function).key(key).path_param("id", id);
    if let Some(body) = body {
        request = request.json(body);
    }
    call(&function, &l.inbox.stack.app, request).await
}

#[tokio::test]
async fn one_call_runs_signed_with_fixed_arguments_and_its_result_reaches_the_model() {
    let t = tool_loop(json!({}), tool_calls(&[("call_1", "book_viewing", json!({"day": "Saturday"}))])).await;
    Mock::given(method("POST"))
        .and(path("/tools/book"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"booked\": true, \"slot\": \"10:00\"}"))
        .mount(&t.receiver)
        .await;
    t.l.inbox.deliver(&meta_payload("text")).await;
    t.l.run_worker().await;

    let posted = tool_requests(&t.receiver).await;
    assert_eq!(posted.len(), 1);
    let body: Value = serde_json::from_slice(&posted[0].body).unwrap_or_default();
    assert_eq!(body["arguments"], json!({"day": "Saturday", "propertyId": "MC-1"}), "fixed arguments merged");
    let id = posted[0].headers.get("x-colloquy-tool-call").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert_eq!(body["id"], id, "the idempotency key is the call's id");
    let signature = posted[0].headers.get("x-colloquy-signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let timestamp: i64 =
        signature.split(',').next().and_then(|t| t.strip_prefix("t=")).and_then(|t| t.parse().ok()).unwrap_or(0);
    assert_eq!(
        signature,
        colloquy_domain::events::model::signature(&t.secret, timestamp, &String::from_utf8_lossy(&posted[0].body))
    );

    let results = tool_results_seen(&t.l).await;
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["tool_call_id"], "call_1");
    assert_eq!(results[0]["content"], "{\"booked\": true, \"slot\": \"10:00\"}");
    assert_eq!(t.l.texts_sent().await.len(), 1, "then the reply");
    let listed = calls(&t.l, &t.l.inbox.key).await;
    let call = &listed.body["results"][0];
    assert_eq!(
        (call["status"].as_str(), call["tool"].as_str()),
        (Some("succeeded"), Some("book_viewing")),
        "{}",
        listed.body
    );
    assert!(call["latencyMs"].as_u64().is_some());
    let messages = t.l.inbox.messages().await;
    assert!(
        messages.iter().any(|m| m["direction"] == "tool" && m["toolCall"]["status"] == "succeeded"),
        "audited in the messages"
    );
    assert_eq!(events_of(&t.receiver, "tool_call.completed").await.len(), 1);
    let today =
        colloquy_domain::usage::model::day_of(colloquy_domain::ports::Clock::now(t.l.inbox.stack.clock.as_ref()));
    let usage = call_usage(&t.l, &today).await;
    assert_eq!(
        (usage["calls"].as_u64(), usage["inputTokens"].as_u64()),
        (Some(2), Some(82)),
        "every step counts: {usage}"
    );
}

async fn call_usage(l: &Loop, today: &str) -> Value {
    let request = ApiCall::fixture("get-usage").key(&l.inbox.key).query("from", today).query("to", today);
    call("get-usage", &l.inbox.stack.app, request).await.body["totals"].clone()
}

#[tokio::test]
async fn parallel_calls_in_one_answer_run_and_go_back_together() {
    let first = tool_calls(&[
        ("call_a", "book_viewing", json!({"day": "Saturday"})),
        ("call_b", "book_viewing", json!({"day": "Sunday"})),
    ]);
    let t = tool_loop(json!({}), first).await;
    Mock::given(method("POST"))
        .and(path("/tools/book"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .mount(&t.receiver)
        .await;
    t.l.inbox.deliver(&meta_payload("text")).await;
    t.l.run_worker().await;

    assert_eq!(tool_requests(&t.receiver).await.len(), 2);
    let bodies = llm_bodies(&t.l.llm_calls().await);
    let messages = bodies.last().map(|b| b["messages"].clone()).unwrap_or_default();
    let assistant: Vec<&Value> =
        messages.as_array().into_iter().flatten().filter(|m| m["tool_calls"].is_array()).collect();
    assert_eq!(assistant.len(), 1, "one assistant turn with both calls: {messages}");
    assert_eq!(assistant[0]["tool_calls"].as_array().map(Vec::len), Some(2));
    let results = tool_results_seen(&t.l).await;
    let ids: Vec<&str> = results.iter().filter_map(|r| r["tool_call_id"].as_str()).collect();
    assert_eq!(ids, vec!["call_a", "call_b"]);
}

#[tokio::test]
async fn past_the_step_limit_the_agent_answers_with_what_it_has() {
    let step = || tool_calls(&[("call_n", "book_viewing", json!({"day": "Monday"}))]);
    let l = tool_loop(json!({}), step()).await;
    // This model always wants another call while it is offered tools.
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(wiremock::matchers::body_string_contains("\"tools\""))
        .respond_with(step())
        .with_priority(1)
        .mount(&l.l.llm)
        .await;
    Mock::given(method("POST"))
        .and(path("/tools/book"))
        .respond_with(ResponseTemplate::new(200).set_body_string("full"))
        .mount(&l.receiver)
        .await;
    l.l.inbox.deliver(&meta_payload("text")).await;
    l.l.run_worker().await;

    assert_eq!(tool_requests(&l.receiver).await.len(), 5, "five steps");
    let bodies = llm_bodies(&l.l.llm_calls().await);
    assert_eq!(bodies.len(), 6);
    assert!(bodies[5].get("tools").is_none(), "the last request offers no tools");
    assert_eq!(l.l.texts_sent().await.len(), 1);
}

#[tokio::test]
async fn invalid_arguments_and_failing_or_slow_tools_go_back_to_the_model_as_errors() {
    let first = tool_calls(&[
        ("call_bad", "book_viewing", json!({"time": "10:00"})),
        ("call_500", "book_viewing", json!({"day": "Saturday"})),
        ("call_slow", "book_viewing", json!({"day": "Sunday"})),
        ("call_unknown", "send_sms", json!({})),
    ]);
    let t = tool_loop(json!({}), first).await;
    Mock::given(method("POST"))
        .and(path("/tools/book"))
        .and(wiremock::matchers::body_string_contains("Saturday"))
        .respond_with(ResponseTemplate::new(500).set_body_string("database down"))
        .mount(&t.receiver)
        .await;
    Mock::given(method("POST"))
        .and(path("/tools/book"))
        .and(wiremock::matchers::body_string_contains("Sunday"))
        .respond_with(ResponseTemplate::new(200).set_delay(StdDuration::from_millis(1500)))
        .mount(&t.receiver)
        .await;
    t.l.inbox.deliver(&meta_payload("text")).await;
    t.l.run_worker().await;

    assert_eq!(tool_requests(&t.receiver).await.len(), 2, "invalid and unknown calls never run");
    let results = tool_results_seen(&t.l).await;
    let content = |id: &str| {
        results
            .iter()
            .find(|r| r["tool_call_id"] == id)
            .and_then(|r| r["content"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        content("call_bad").contains("invalid arguments") && content("call_bad").contains("day"),
        "{}",
        content("call_bad")
    );
    assert!(content("call_500").contains("500") && content("call_500").contains("database down"));
    assert!(content("call_slow").contains("did not answer within 1 s"), "{}", content("call_slow"));
    assert!(content("call_unknown").contains("send_sms"));
    assert_eq!(t.l.texts_sent().await.len(), 1, "the conversation goes on");
    assert_eq!(events_of(&t.receiver, "tool_call.failed").await.len(), 2, "the calls that ran and failed");
}

/// A loop whose model asks for `book_viewing` on Saturday, a call that needs approval, and
/// whose tool answers "booked".
pub(crate) async fn approval_loop() -> Tools {
    let t = tool_loop(
        json!({"requireApproval": true}),
        tool_calls(&[("call_1", "book_viewing", json!({"day": "Saturday"}))]),
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/tools/book"))
        .respond_with(ResponseTemplate::new(200).set_body_string("booked"))
        .mount(&t.receiver)
        .await;
    t
}

#[tokio::test]
async fn a_call_needing_approval_pauses_the_run_until_a_person_approves_it_once() {
    let t = approval_loop().await;
    t.l.inbox.deliver(&meta_payload("text")).await;
    t.l.run_worker().await;

    assert!(tool_requests(&t.receiver).await.is_empty(), "not before approval");
    assert!(t.l.texts_sent().await.is_empty(), "the run is paused: nothing is sent");
    let requested = events_of(&t.receiver, "tool_call.approval_requested").await;
    assert_eq!(requested.len(), 1);
    assert_eq!(requested[0]["data"]["toolCall"]["arguments"], json!({"day": "Saturday", "propertyId": "MC-1"}));
    assert!(requested[0]["data"]["toolCall"]["expiresAt"].is_string());
    let listed = calls(&t.l, &t.l.inbox.key).await;
    let id = listed.body["results"][0]["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(listed.body["results"][0]["status"], "pending_approval");

    let reader = t.l.inbox.stack.key_for(&t.l.inbox.key, Role::Read).await;
    assert_eq!(decide(&t.l, &reader, &id, "approve", None).await.status, 403);
    let stranger = t.l.inbox.stack.workspace("Stranger").await;
    assert_eq!(decide(&t.l, &stranger.plaintext, &id, "approve", None).await.status, 404);
    assert_eq!(calls(&t.l, &stranger.plaintext).await.status, 404);

    let (first, second) = tokio::join!(
        decide(&t.l, &t.l.inbox.key, &id, "approve", None),
        decide(&t.l, &t.l.inbox.key, &id, "approve", None)
    );
    let mut statuses = [first.status, second.status];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "two approvals at once: one wins");
    t.l.run_worker().await;
    // A redelivered decision finds the call done: nothing runs twice.
    let again = Trigger::ToolDecision(Turn {
        id: "tool-decision.again".into(),
        workspace_id: t.l.inbox.stack.app_workspace(&t.l.inbox.key).await,
        conversation_id: t.l.inbox.conversations().await[0]["id"].as_str().unwrap_or_default().into(),
    });
    t.l.inbox.stack.app.queue.enqueue(&again).await.expect("queued");
    t.l.run_worker().await;

    assert_eq!(tool_requests(&t.receiver).await.len(), 1, "ran once");
    let after = calls(&t.l, &t.l.inbox.key).await;
    assert_eq!(after.body["results"][0]["status"], "succeeded");
    assert_eq!(after.body["results"][0]["decidedBy"].as_str().map(|p| t.l.inbox.key.starts_with(p)), Some(true));
    assert_eq!(t.l.texts_sent().await.len(), 1);
    assert_eq!(decide(&t.l, &t.l.inbox.key, &id, "reject", None).await.status, 409, "a decided call");
    let audited = crate::audit_log::actions(&t.l.inbox.stack, &t.l.inbox.key).await;
    let decisions: Vec<_> = audited.iter().filter(|(action, _)| action.starts_with("tool_call.")).cloned().collect();
    assert_eq!(decisions, crate::audit_log::pairs(&[("tool_call.approved", &id)]), "the decision that won, once");
}

#[tokio::test]
async fn a_rejection_reaches_the_model_with_its_reason_and_an_undecided_call_expires() {
    let t = tool_loop(
        json!({"requireApproval": true}),
        tool_calls(&[("call_1", "book_viewing", json!({"day": "Sunday"}))]),
    )
    .await;
    t.l.inbox.deliver(&meta_payload("text")).await;
    t.l.run_worker().await;
    let id = calls(&t.l, &t.l.inbox.key).await.body["results"][0]["id"].as_str().unwrap_or_default().to_owned();
    let rejected =
        decide(&t.l, &t.l.inbox.key, &id, "reject", Some(json!({"reason": "We do not book viewings on Sundays."})))
            .await;
    assert_eq!((rejected.status, rejected.body["status"].as_str()), (200, Some("rejected")), "{}", rejected.body);
    let audited = crate::audit_log::actions(&t.l.inbox.stack, &t.l.inbox.key).await;
    assert!(audited.contains(&("tool_call.rejected".to_owned(), id.clone())), "{audited:?}");
    t.l.run_worker().await;
    let results = tool_results_seen(&t.l).await;
    assert!(
        results[0]["content"].as_str().is_some_and(|c| c.contains("We do not book viewings on Sundays.")),
        "{results:?}"
    );
    assert!(tool_requests(&t.receiver).await.is_empty());
    assert_eq!(t.l.texts_sent().await.len(), 1);
    let failed = events_of(&t.receiver, "tool_call.failed").await;
    assert_eq!(failed.len(), 1, "a rejection is reported");
    assert_eq!(failed[0]["data"]["toolCall"]["reason"], "We do not book viewings on Sundays.");

    // Another turn, another call, nobody decides.
    let second = tool_loop(
        json!({"requireApproval": true, "approvalExpiryMinutes": 30}),
        tool_calls(&[("call_2", "book_viewing", json!({"day": "Monday"}))]),
    )
    .await;
    second.l.inbox.deliver(&meta_payload("text")).await;
    second.l.run_worker().await;
    let schedule = || async {
        let event = json!({"detail-type": "Scheduled Event", "source": "aws.events"});
        let summary =
            colloquy_functions::scheduler::handle(&second.l.inbox.stack.app, event).await.expect("scheduler runs");
        summary["expiredToolCalls"].as_u64().unwrap_or(0)
    };
    assert_eq!(schedule().await, 0, "not yet");
    second.l.inbox.stack.clock.advance(time::Duration::minutes(31));
    assert_eq!(schedule().await, 1);
    assert_eq!(schedule().await, 0, "queued once");
    second.l.run_worker().await;
    let listed = calls(&second.l, &second.l.inbox.key).await;
    assert_eq!(listed.body["results"][0]["status"], "expired", "{}", listed.body);
    assert!(tool_results_seen(&second.l).await[0]["content"].as_str().is_some_and(|c| c.contains("did not run")));
    assert_eq!(second.l.texts_sent().await.len(), 1);
    assert_eq!(events_of(&second.receiver, "tool_call.failed").await.len(), 1);
}

#[tokio::test]
async fn a_call_a_dead_run_left_running_is_never_started_again() {
    let t = tool_loop(
        json!({"requireApproval": true}),
        tool_calls(&[("call_1", "book_viewing", json!({"day": "Saturday"}))]),
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/tools/book"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&t.receiver)
        .await;
    t.l.inbox.deliver(&meta_payload("text")).await;
    t.l.run_worker().await;
    let id = calls(&t.l, &t.l.inbox.key).await.body["results"][0]["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(decide(&t.l, &t.l.inbox.key, &id, "approve", None).await.status, 200);
    // A run took the call and died before it stored the outcome.
    let (conversation, message) = colloquy_domain::tools::call::parse_public_id(&id).expect("id");
    let store = &t.l.inbox.stack.store;
    let mut stored = store.get_message(&conversation, &message).await.expect("read").expect("stored");
    if let Some(call) = stored.tool_call.as_mut() {
        call.status = ToolCallStatus::Running;
    }
    store.update_tool_call(&stored, ToolCallStatus::Approved).await.expect("marked running");
    t.l.run_worker().await;

    assert!(tool_requests(&t.receiver).await.is_empty(), "never started again");
    let listed = calls(&t.l, &t.l.inbox.key).await;
    assert_eq!(listed.body["results"][0]["status"], "failed");
    assert!(listed.body["results"][0]["error"].as_str().is_some_and(|e| e.contains("interrupted")));
    assert_eq!(t.l.texts_sent().await.len(), 1, "the model is told and the conversation goes on");
}

#[tokio::test]
async fn anthropic_tool_use_runs_and_its_result_goes_back_as_a_tool_result() {
    let t = tool_loop(json!({}), completion("unused")).await;
    Mock::given(method("POST"))
        .and(path("/tools/book"))
        .respond_with(ResponseTemplate::new(200).set_body_string("booked"))
        .mount(&t.receiver)
        .await;
    let agent = ApiCall::fixture("update-agent")
        .key(&t.l.inbox.key)
        .path_param("id", &t.l.inbox.agent)
        .json(json!({"model": {"provider": "anthropic", "name": "claude-sonnet-4-5"}}));
    assert_eq!(call("update-agent", &t.l.inbox.stack.app, agent).await.status, 200);
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
            "content": [{"type": "text", "text": "Let me book that."}, {"type": "tool_use", "id": "toolu_1", "name": "book_viewing", "input": {"day": "Saturday"}}],
            "stop_reason": "tool_use", "usage": {"input_tokens": 30, "output_tokens": 12}
        })))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&t.l.llm)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "msg_2", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
            "content": [{"type": "text", "text": "Booked for Saturday."}], "stop_reason": "end_turn",
            "usage": {"input_tokens": 50, "output_tokens": 5}
        })))
        .with_priority(2)
        .mount(&t.l.llm)
        .await;
    let mut app = t.l.inbox.stack.app.clone();
    let endpoint = Endpoint { base_url: t.l.llm.uri(), api_key: "sk-ant-test".into() };
    app.llm = Arc::new(LlmClient::new(None, Some(endpoint), StdDuration::from_secs(2)).expect("client"));
    let worker = Worker::new(app);
    t.l.inbox.deliver(&meta_payload("text")).await;
    t.l.source.drain(&worker, 20).await.expect("worker runs");

    assert_eq!(tool_requests(&t.receiver).await.len(), 1);
    let bodies = llm_bodies(&t.l.llm_calls().await);
    let last = bodies.last().cloned().unwrap_or_default();
    assert!(last["tools"][0]["input_schema"]["properties"]["day"].is_object(), "tools in Anthropic's shape: {last}");
    assert_eq!(last["tools"][1]["cache_control"], json!({"type": "ephemeral"}), "the last tool ends the cached prefix");
    let messages = last["messages"].as_array().cloned().unwrap_or_default();
    let assistant = &messages[messages.len() - 2];
    assert_eq!(assistant["content"][0], json!({"type": "text", "text": "Let me book that."}));
    assert_eq!(assistant["content"][1]["type"], "tool_use");
    assert_eq!(assistant["content"][1]["input"], json!({"day": "Saturday", "propertyId": "MC-1"}));
    let results = &messages[messages.len() - 1];
    assert_eq!(results["content"][0]["type"], "tool_result");
    assert_eq!(results["content"][0]["tool_use_id"], "toolu_1");
    assert_eq!(results["content"][0]["content"], "booked");
    let sent = t.l.texts_sent().await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["text"]["body"], "Booked for Saturday.");
}

/// The local stand-in model calls an offered tool on `/tool NAME {json}`, so a person can try the
/// approval flow locally; a tool's answer comes back as text.
#[tokio::test]
async fn the_local_stand_in_calls_an_offered_tool_on_command() {
    use colloquy_tools::llm_standin::answer;
    let offered = json!({"type": "function", "function": {"name": "book_viewing"}});
    let ask = |text: &str, tools: Value| {
        let body = json!({"messages": [{"role": "user", "content": text}], "tools": tools}).to_string();
        let response = answer("/llm/v1/chat/completions", body.as_bytes());
        serde_json::from_slice::<Value>(response.body().as_ref()).unwrap_or_default()["choices"][0]["message"].clone()
    };
    let called = ask("/tool book_viewing {\"day\": \"Saturday\"}", json!([offered]));
    assert_eq!(called["tool_calls"][0]["function"]["name"], "book_viewing");
    assert_eq!(called["tool_calls"][0]["function"]["arguments"], "{\"day\": \"Saturday\"}");
    assert!(ask("/tool send_sms {}", json!([offered]))["tool_calls"].is_null(), "only offered tools");
    assert!(ask("/tool book_viewing", json!([]))["content"].as_str().is_some_and(|t| t.contains("You said")));
    let body = json!({"messages": [{"role": "user", "content": "/tool book_viewing"}, {"role": "tool", "tool_call_id": "c", "content": "booked"}]}).to_string();
    let after = serde_json::from_slice::<Value>(answer("/llm/v1/chat/completions", body.as_bytes()).body().as_ref())
        .unwrap_or_default();
    assert!(after["choices"][0]["message"]["content"]
        .as_str()
        .is_some_and(|t| t.contains("The tool answered: booked")));
}

#[tokio::test]
async fn handoff_to_human_takes_the_conversation_over_and_end_conversation_marks_it_done() {
    let t = tool_loop(json!({}), tool_calls(&[("call_h", "handoff_to_human", json!({"reason": "asks for a person"}))]))
        .await;
    t.l.inbox.deliver(&meta_payload("text")).await;
    t.l.run_worker().await;
    let conversation = t.l.inbox.conversations().await[0].clone();
    assert_eq!(conversation["isHumanTakeover"], true, "taken over: {conversation}");
    assert!(t.l.texts_sent().await.is_empty(), "the agent says nothing more");
    assert_eq!(events_of(&t.receiver, "conversation.takeover").await.len(), 1);

    let done = tool_loop(json!({}), tool_calls(&[("call_e", "end_conversation", json!({}))])).await;
    let agent = ApiCall::fixture("update-agent")
        .key(&done.l.inbox.key)
        .path_param("id", &done.l.inbox.agent)
        .json(json!({"tools": [{"name": "end_conversation"}]}));
    assert_eq!(call("update-agent", &done.l.inbox.stack.app, agent).await.status, 200);
    done.l.inbox.deliver(&meta_payload("text")).await;
    done.l.run_worker().await;
    let conversation = done.l.inbox.conversations().await[0].clone();
    assert_eq!(conversation["isDone"], true, "marked done: {conversation}");
    assert_eq!(done.l.texts_sent().await.len(), 1, "and the agent says goodbye");
}

#[tokio::test]
async fn arguments_are_shown_with_personal_data_masked() {
    let first = tool_calls(&[("call_1", "book_viewing", json!({"day": "Saturday", "email": "ana.lopez@example.com"}))]);
    let t = tool_loop(json!({"requireApproval": true}), first).await;
    t.l.inbox.deliver(&meta_payload("text")).await;
    t.l.run_worker().await;
    let listed = calls(&t.l, &t.l.inbox.key).await;
    let shown = listed.body["results"][0]["arguments"].to_string();
    assert!(!shown.contains("ana.lopez@example.com") && shown.contains("Saturday"), "{shown}");
}

#[tokio::test]
async fn an_answer_s_calls_and_a_tool_s_answer_are_bounded() {
    let many: Vec<(String, &str, Value)> =
        (0..12).map(|n| (format!("call_{n}"), "book_viewing", json!({"day": format!("day {n}")}))).collect();
    let many: Vec<(&str, &str, Value)> =
        many.iter().map(|(id, name, args)| (id.as_str(), *name, args.clone())).collect();
    let t = tool_loop(json!({}), tool_calls(&many)).await;
    let huge = "x".repeat(200_000);
    Mock::given(method("POST"))
        .and(path("/tools/book"))
        .respond_with(ResponseTemplate::new(200).set_body_string(huge))
        .mount(&t.receiver)
        .await;
    t.l.inbox.deliver(&meta_payload("text")).await;
    t.l.run_worker().await;

    assert_eq!(tool_requests(&t.receiver).await.len(), 10, "ten calls per answer at most");
    let listed = calls(&t.l, &t.l.inbox.key).await;
    let results = listed.body["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(results.len(), 10);
    assert!(
        results.iter().all(|c| c["result"].as_str().is_some_and(|r| r.len() == 4_000)),
        "answers kept to 4,000 characters"
    );
    assert_eq!(t.l.texts_sent().await.len(), 1);
}

#[tokio::test]
async fn a_takeover_leaves_a_pending_call_pending_and_a_person_may_still_decide_it() {
    let t = tool_loop(
        json!({"requireApproval": true}),
        tool_calls(&[("call_1", "book_viewing", json!({"day": "Saturday"}))]),
    )
    .await;
    t.l.inbox.deliver(&meta_payload("text")).await;
    t.l.run_worker().await;
    let conversation = t.l.inbox.conversations().await[0]["id"].as_str().unwrap_or_default().to_owned();
    let takeover =
        ApiCall::fixture("takeover-conversation").key(&t.l.inbox.key).path_param("id", &conversation).json(json!({}));
    assert_eq!(call("takeover-conversation", &t.l.inbox.stack.app, takeover).await.status, 200);
    t.l.run_worker().await;
    let listed = calls(&t.l, &t.l.inbox.key).await;
    assert_eq!(listed.body["results"][0]["status"], "pending_approval");
    let id = listed.body["results"][0]["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(
        decide(&t.l, &t.l.inbox.key, &id, "reject", Some(json!({"reason": "handled by phone"}))).await.status,
        200
    );
    t.l.run_worker().await;
    assert!(t.l.texts_sent().await.is_empty(), "the person has the conversation: the agent sends nothing");
    assert_eq!(calls(&t.l, &t.l.inbox.key).await.body["results"][0]["status"], "rejected");
}

#[tokio::test]
async fn an_approval_after_the_call_expired_is_409_and_the_call_never_runs() {
    let t = tool_loop(
        json!({"requireApproval": true, "approvalExpiryMinutes": 30}),
        tool_calls(&[("call_1", "book_viewing", json!({"day": "Saturday"}))]),
    )
    .await;
    t.l.inbox.deliver(&meta_payload("text")).await;
    t.l.run_worker().await;
    let id = calls(&t.l, &t.l.inbox.key).await.body["results"][0]["id"].as_str().unwrap_or_default().to_owned();
    t.l.inbox.stack.clock.advance(time::Duration::minutes(30) + time::Duration::seconds(1));

    let late = decide(&t.l, &t.l.inbox.key, &id, "approve", None).await;

    assert_eq!((late.status, late.error_code()), (409, "conflict"), "{}", late.body);
    assert!(late.body.to_string().contains("expired"), "{}", late.body);
    assert_eq!(calls(&t.l, &t.l.inbox.key).await.body["results"][0]["status"], "expired");
    t.l.run_worker().await;
    assert!(tool_requests(&t.receiver).await.is_empty(), "the tool is never called");
    assert_eq!(t.l.texts_sent().await.len(), 1, "the run goes on without it");
    assert_eq!(decide(&t.l, &t.l.inbox.key, &id, "reject", None).await.status, 409);
}

#[tokio::test]
async fn a_call_runs_against_the_address_it_was_proposed_with_which_the_approver_sees() {
    let t = approval_loop().await;
    t.l.inbox.deliver(&meta_payload("text")).await;
    t.l.run_worker().await;
    let listed = calls(&t.l, &t.l.inbox.key).await;
    let proposed = &listed.body["results"][0];
    assert_eq!(proposed["url"], format!("{}/tools/book", t.receiver.uri()), "{proposed}");
    let id = proposed["id"].as_str().unwrap_or_default().to_owned();
    let elsewhere = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&elsewhere).await;
    let tools = call("list-tools", &t.l.inbox.stack.app, ApiCall::fixture("list-tools").key(&t.l.inbox.key)).await;
    let tool_id = tools.body["results"][0]["id"].as_str().unwrap_or_default().to_owned();
    let change = ApiCall::fixture("update-tool")
        .key(&t.l.inbox.key)
        .path_param("id", &tool_id)
        .json(json!({"url": format!("{}/steal", elsewhere.uri())}));
    assert_eq!(call("update-tool", &t.l.inbox.stack.app, change).await.status, 200);

    assert_eq!(decide(&t.l, &t.l.inbox.key, &id, "approve", None).await.status, 200);
    t.l.run_worker().await;

    assert_eq!(tool_requests(&t.receiver).await.len(), 1, "sent where it was proposed");
    assert!(elsewhere.received_requests().await.unwrap_or_default().is_empty(), "not to the changed address");
}

#[tokio::test]
async fn a_waiting_prompt_answers_as_soon_as_the_run_pauses_for_an_approval() {
    let t = std::sync::Arc::new(
        tool_loop(
            json!({"requireApproval": true}),
            tool_calls(&[("call_1", "book_viewing", json!({"day": "Saturday"}))]),
        )
        .await,
    );
    let id = crate::send_prompt::api_conversation(&t.l).await;
    let running = t.clone();
    let worker = tokio::spawn(async move {
        for _ in 0..100 {
            let _ = running.l.source.poll_once(&running.l.worker).await;
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    });
    let started = std::time::Instant::now();

    let request = ApiCall::fixture("send-prompt")
        .bearer(&t.l.inbox.key)
        .path_param("conversationId", &id)
        .json(json!({"prompt": "Book me a viewing on Saturday", "waitSeconds": 20}));
    let answer = call("send-prompt", &t.l.inbox.stack.app, request).await;
    worker.abort();

    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["pendingToolCall"]["status"], "pending_approval", "{}", answer.body);
    assert_eq!(answer.body["pendingToolCall"]["tool"], "book_viewing");
    assert!(answer.body.get("response").is_none(), "no reply before the decision");
    assert!(started.elapsed() < std::time::Duration::from_secs(15), "it did not wait out the 20 seconds");
}
