//! Dead letters: a trigger whose last try failed is recorded for its workspace (and announced),
//! an admin sees it with why, and sends it back onto the queue once.

use colloquy_domain::model::Role;
use colloquy_functions::dead_letters::DeadLetterRecorder;
use colloquy_tests::{call, meta_payload, Answer, ApiCall};
use colloquy_tools::event_source::LocalEventSource;
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::agent_loop::{agent_loop, completion, sent, Loop};

async fn dead_letters(l: &Loop, key: &str) -> Answer {
    call("list-dead-letters", &l.inbox.stack.app, ApiCall::fixture("list-dead-letters").key(key)).await
}

async fn redrive(l: &Loop, key: &str, id: &str) -> Answer {
    let request = ApiCall::fixture("redrive-dead-letter").key(key).path_param("id", id);
    call("redrive-dead-letter", &l.inbox.stack.app, request).await
}

/// The loop's LLM answers every call with a 500.
async fn model_overloaded(l: &Loop) {
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(500).set_body_string("model overloaded"))
        .mount(&l.llm)
        .await;
}

/// The `trigger.dead_lettered` events the receiver got.
async fn announcements(receiver: &MockServer) -> Vec<Value> {
    receiver
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter_map(|r| serde_json::from_slice::<Value>(&r.body).ok())
        .filter(|e| e["type"] == "trigger.dead_lettered")
        .collect()
}

/// The loop's workspace sends its events to a receiver, which takes them.
async fn events_to_receiver(l: &Loop) -> MockServer {
    let receiver = MockServer::start().await;
    Mock::given(method("POST")).and(path("/events")).respond_with(ResponseTemplate::new(204)).mount(&receiver).await;
    let set = ApiCall::fixture("update-workspace")
        .key(&l.inbox.key)
        .json(json!({"webhookUrl": format!("{}/events", receiver.uri())}));
    assert_eq!(call("update-workspace", &l.inbox.stack.app, set).await.status, 200);
    receiver
}

#[tokio::test]
async fn a_dead_trigger_is_seen_by_its_workspace_announced_and_redriven_once() {
    let l = agent_loop().await;
    let receiver = events_to_receiver(&l).await;
    model_overloaded(&l).await;
    Mock::given(method("POST")).respond_with(sent("wamid.REPLY")).mount(&l.graph).await;
    l.inbox.deliver(&meta_payload("text")).await;
    l.run_worker().await;

    let listed = dead_letters(&l, &l.inbox.key).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(listed.body["count"], 1, "{}", listed.body);
    let dead = listed.body["results"][0].clone();
    let conversation = l.inbox.conversations().await[0]["id"].clone();
    assert_eq!(
        (&dead["kind"], &dead["conversationId"], &dead["receiveCount"]),
        (&json!("inbound_message"), &conversation, &json!(5))
    );
    assert!(dead["reason"].as_str().is_some_and(|r| r.contains("model overloaded")), "{dead}");
    assert_eq!((&dead["redrivenAt"], &dead["redrivenBy"]), (&Value::Null, &Value::Null));
    let announced = announcements(&receiver).await;
    assert_eq!(announced.len(), 1, "an event says it happened");
    assert_eq!(announced[0]["data"]["deadLetterId"], dead["id"]);
    assert!(l.texts_sent().await.is_empty());

    // The model is back.
    l.llm.reset().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(completion("Sorry for the wait: yes, it is free."))
        .mount(&l.llm)
        .await;
    let id = dead["id"].as_str().unwrap_or_default();
    let first = redrive(&l, &l.inbox.key, id).await;
    let second = redrive(&l, &l.inbox.key, id).await;
    l.run_worker().await;

    assert_eq!(first.status, 200, "{}", first.body);
    assert!(first.body["redrivenAt"].is_string());
    assert_eq!(first.body["redrivenBy"].as_str().map(|p| l.inbox.key.starts_with(p)), Some(true), "who decided it");
    assert_eq!((second.status, second.error_code()), (409, "conflict"));
    assert!(
        second.body["error"]["message"].as_str().is_some_and(|m| m.contains("redriven already")),
        "{}",
        second.body
    );
    let sent = l.texts_sent().await;
    assert_eq!(sent.len(), 1, "the redriven trigger was answered once");
    assert_eq!(sent[0]["text"]["body"], "Sorry for the wait: yes, it is free.");
    assert_eq!(dead_letters(&l, &l.inbox.key).await.body["results"][0]["redrivenAt"], first.body["redrivenAt"]);
}

#[tokio::test]
async fn dead_letters_are_their_workspaces_and_for_admins() {
    let l = agent_loop().await;
    model_overloaded(&l).await;
    l.inbox.deliver(&meta_payload("text")).await;
    l.run_worker().await;
    let id = dead_letters(&l, &l.inbox.key).await.body["results"][0]["id"].as_str().unwrap_or_default().to_owned();
    let stranger = l.inbox.stack.workspace("Globex").await;
    let reader = l.inbox.stack.key_for(&l.inbox.key, Role::Read).await;

    let theirs = dead_letters(&l, &stranger.plaintext).await;
    let not_theirs = redrive(&l, &stranger.plaintext, &id).await;
    let read_only = dead_letters(&l, &reader).await;
    let read_redrive = redrive(&l, &reader, &id).await;

    assert!(!id.is_empty());
    assert_eq!((theirs.status, theirs.body["count"].as_u64()), (200, Some(0)), "{}", theirs.body);
    assert_eq!((not_theirs.status, not_theirs.error_code()), (404, "not_found"));
    assert_eq!((read_only.status, read_redrive.status), (403, 403), "admins only");
    assert_eq!(
        dead_letters(&l, &l.inbox.key).await.body["results"][0]["redrivenAt"],
        Value::Null,
        "nothing was redriven"
    );
}

#[tokio::test]
async fn a_trigger_that_waited_behind_a_failing_one_is_recorded_too() {
    let l = agent_loop().await;
    model_overloaded(&l).await;
    Mock::given(method("POST")).respond_with(sent("wamid.REPLY")).mount(&l.graph).await;
    l.inbox.deliver(&meta_payload("text")).await;
    let second = meta_payload("text").replace("wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBDMEY0", "wamid.SECOND");
    l.inbox.deliver(&second).await;
    l.run_worker().await;

    let listed = dead_letters(&l, &l.inbox.key).await;
    let reasons: Vec<String> = listed.body["results"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| d["reason"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(reasons.len(), 2, "neither is lost silently: {}", listed.body);
    assert!(reasons.iter().any(|r| r.contains("model overloaded")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("waited behind a failing trigger")), "{reasons:?}");
}

/// The dead-letter recorder, fed by the trigger dead-letter queue as Lambda would feed it.
pub(crate) async fn run_the_recorder(l: &Loop) -> Vec<colloquy_tools::event_source::Polled> {
    let recorder = DeadLetterRecorder { app: l.worker.app.clone() };
    let dead_letter_queue = &l.inbox.stack.resources.dead_letter_queue_url;
    let source = LocalEventSource::new(l.inbox.stack.sqs(), dead_letter_queue, 0).await.expect("event source");
    source.drain(&recorder, 5).await.expect("the recorder polls")
}

#[tokio::test]
async fn a_trigger_whose_last_try_never_finished_is_recorded_from_the_dead_letter_queue_once() {
    let l = agent_loop().await;
    Mock::given(method("POST")).respond_with(sent("wamid.NEVER")).mount(&l.graph).await;
    l.inbox.deliver(&meta_payload("text")).await;
    // Five invocations that time out: nothing is deleted or failed, the queue delivers it again;
    // on the next receive the queue moves it to the dead-letter queue.
    for _ in 0..5 {
        assert_eq!(l.source.abandon_a_batch(0).await.expect("abandoned"), 1);
    }
    assert_eq!(l.source.abandon_a_batch(0).await.expect("received"), 0, "moved to the dead-letter queue");
    assert!(dead_letters(&l, &l.inbox.key).await.body["results"].as_array().is_some_and(Vec::is_empty));
    let receiver = events_to_receiver(&l).await;

    let first = run_the_recorder(&l).await;

    assert_eq!(first.iter().map(|p| (p.received, p.failed)).collect::<Vec<_>>(), vec![(1, 0)], "recorded and settled");
    let listed = dead_letters(&l, &l.inbox.key).await;
    assert_eq!(listed.body["count"], 1, "{}", listed.body);
    let dead = &listed.body["results"][0];
    let conversation = l.inbox.conversations().await[0]["id"].clone();
    assert_eq!((&dead["kind"], &dead["conversationId"]), (&json!("inbound_message"), &conversation));
    assert!(dead["reason"].as_str().is_some_and(|r| r.contains("did not finish")), "{dead}");
    let messages = l.inbox.messages().await;
    assert_eq!(messages[0]["status"], "failed", "the operator sees why no reply came: {messages:?}");
    assert!(messages[0]["error"]["message"].as_str().is_some_and(|m| m.contains("did not finish")), "{messages:?}");
    let announced = announcements(&receiver).await.len();
    // The announcement is queued as an event trigger; the worker delivers it.
    l.run_worker().await;
    let announced_after = announcements(&receiver).await.len();
    assert_eq!(announced + announced_after, 1, "an event says it happened, once");
    assert!(l.texts_sent().await.is_empty());
}

#[tokio::test]
async fn a_dead_letter_the_worker_recorded_is_not_recorded_again_by_the_recorder() {
    let l = agent_loop().await;
    model_overloaded(&l).await;
    l.inbox.deliver(&meta_payload("text")).await;
    // Five failed tries; the queue moves it to the dead-letter queue on the receive after.
    l.run_worker().await;

    let polled = run_the_recorder(&l).await;

    assert_eq!(polled.iter().map(|p| (p.received, p.failed)).collect::<Vec<_>>(), vec![(1, 0)]);
    let listed = dead_letters(&l, &l.inbox.key).await;
    assert_eq!(listed.body["count"], 1, "recorded once: {}", listed.body);
    assert!(listed.body["results"][0]["reason"].as_str().is_some_and(|r| r.contains("model overloaded")));
    let failures = l.inbox.messages().await.iter().filter(|m| m["status"] == "failed").count();
    assert_eq!(failures, 1, "the conversation says why once");
}
