//! The agent loop end to end: webhook → queue → worker → LLM (wiremock) → WhatsApp (wiremock),
//! against moto, with the worker fed from the queue as Lambda's event source feeds it.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use colloquy_adapters::llm::{Endpoint, LlmClient};
use colloquy_adapters::transcription::TranscriptionClient;
use colloquy_domain::ports::ConversationStore;
use colloquy_functions::worker::{Deadline, Worker};
use colloquy_tests::{meta_payload, TestStack};
use colloquy_tools::event_source::LocalEventSource;
use serde_json::{json, Value};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::webhook::{inbox, Inbox};

pub struct Loop {
    pub inbox: Inbox,
    pub graph: MockServer,
    pub llm: MockServer,
    pub worker: Worker,
    pub source: LocalEventSource,
}

pub fn completion(text: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 42, "completion_tokens": 7, "total_tokens": 49}
    }))
}

pub fn sent(wamid: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"messaging_product": "whatsapp", "messages": [{"id": wamid}]}))
}

pub async fn agent_loop() -> Loop {
    let mut stack = TestStack::new().await;
    let graph = MockServer::start().await;
    let llm = MockServer::start().await;
    stack.send_through(&graph.uri());
    let client = LlmClient::new(
        Some(Endpoint { base_url: format!("{}/v1", llm.uri()), api_key: "sk-test".into() }),
        None,
        StdDuration::from_secs(2),
    )
    .expect("LLM client");
    stack.app.llm = Arc::new(client);
    let transcription = TranscriptionClient::new(
        Endpoint { base_url: format!("{}/v1", llm.uri()), api_key: "sk-test".into() },
        "whisper-1".into(),
        StdDuration::from_secs(2),
    )
    .expect("transcription client");
    stack.app.transcriber = Arc::new(transcription);
    let source = LocalEventSource::new(stack.sqs(), &stack.resources.queue_url, 0).await.expect("event source");
    let worker = Worker::new(stack.app.clone());
    Loop { inbox: inbox(stack).await, graph, llm, worker, source }
}

impl Loop {
    pub async fn run_worker(&self) {
        self.source.drain(&self.worker, 20).await.expect("worker runs");
    }

    pub async fn llm_calls(&self) -> Vec<Request> {
        self.llm.received_requests().await.unwrap_or_default()
    }

    /// Graph requests that sent a text (not read receipts).
    pub async fn texts_sent(&self) -> Vec<Value> {
        let requests = self.graph.received_requests().await.unwrap_or_default();
        requests
            .iter()
            .filter_map(|r| serde_json::from_slice::<Value>(&r.body).ok())
            .filter(|b| b["type"] == "text")
            .collect()
    }

    pub async fn mount_ok(&self, reply: &str) {
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .respond_with(completion(reply))
            .mount(&self.llm)
            .await;
        Mock::given(method("POST")).respond_with(sent("wamid.REPLY")).mount(&self.graph).await;
    }
}

#[tokio::test]
async fn five_deliveries_two_at_once_make_one_llm_call_and_one_reply() {
    let l = agent_loop().await;
    l.mount_ok("Yes, it is! Would you like a tour?").await;
    let body = meta_payload("text");

    let _ = tokio::join!(l.inbox.deliver(&body), l.inbox.deliver(&body));
    for _ in 0..3 {
        l.inbox.deliver(&body).await;
    }
    l.run_worker().await;
    l.inbox.deliver(&body).await;
    l.run_worker().await;

    assert_eq!(l.llm_calls().await.len(), 1, "one LLM call");
    let sent = l.texts_sent().await;
    assert_eq!(sent.len(), 1, "one reply");
    assert_eq!(sent[0]["to"], "4915112345678");
    assert_eq!(sent[0]["text"]["body"], "Yes, it is! Would you like a tour?");
    let messages = l.inbox.messages().await;
    assert_eq!(messages.len(), 2, "one stored message and its reply: {messages:?}");
    assert_eq!((messages[0]["direction"].as_str(), messages[0]["status"].as_str()), (Some("outbound"), Some("sent")));
    assert_eq!(messages[0]["wamid"], "wamid.REPLY");
}

#[tokio::test]
async fn a_burst_of_three_messages_gets_one_reply_made_from_all_three() {
    let l = agent_loop().await;
    l.mount_ok("Here is everything at once.").await;
    let text = meta_payload("text");
    for (n, words) in ["Hi", "is the flat free", "and can I bring a cat?"].iter().enumerate() {
        let body = text
            .replace("Hi, is the 2-bedroom still available?", words)
            .replace("wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBDMEY0", &format!("wamid.BURST{n}"));
        assert_eq!(l.inbox.deliver(&body).await.status, 200);
    }

    l.run_worker().await;

    let calls = l.llm_calls().await;
    assert_eq!(calls.len(), 1);
    let request: Value = serde_json::from_slice(&calls[0].body).expect("JSON");
    let user = request["messages"].as_array().and_then(|m| m.last()).cloned().unwrap_or_default();
    assert_eq!(user["role"], "user");
    assert_eq!(user["content"], "Hi\nis the flat free\nand can I bring a cat?");
    assert_eq!(request["messages"][0]["role"], "system");
    assert_eq!(
        request["messages"][0]["content"], "You are helpful.",
        "the agent's prompt version is the system prompt"
    );
    assert_eq!(l.texts_sent().await.len(), 1);
    let messages = l.inbox.messages().await;
    assert_eq!(messages.len(), 4);
    assert_eq!(messages[0]["direction"], "outbound", "the reply comes after all three");
    assert_eq!(messages[0]["text"], "Here is everything at once.");
}

#[tokio::test]
async fn a_worker_that_dies_before_sending_sends_the_stored_reply_on_redelivery() {
    let l = agent_loop().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(completion("Stored first, sent later."))
        .mount(&l.llm)
        .await;
    // The first delivery attempt dies on WhatsApp (every retry inside it too); read receipts pass.
    Mock::given(method("POST"))
        .and(body_partial_json(json!({"type": "text"})))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(3)
        .with_priority(1)
        .mount(&l.graph)
        .await;
    Mock::given(method("POST")).respond_with(sent("wamid.LATE")).with_priority(2).mount(&l.graph).await;
    l.inbox.deliver(&meta_payload("text")).await;

    let first = l.source.poll_once(&l.worker).await.expect("poll");
    assert_eq!(first.failed, 1, "the send failed, the trigger goes back to the queue");
    let pending = l.inbox.messages().await;
    assert_eq!(
        (pending[0]["status"].as_str(), pending[0]["text"].as_str()),
        (Some("pending"), Some("Stored first, sent later.")),
        "the reply was stored before the send"
    );
    l.run_worker().await;

    assert_eq!(l.llm_calls().await.len(), 1, "the LLM is not called again");
    let sent = l.texts_sent().await;
    assert_eq!(sent.len(), 4, "three refused attempts, then one send");
    let messages = l.inbox.messages().await;
    assert_eq!((messages[0]["status"].as_str(), messages[0]["wamid"].as_str()), (Some("sent"), Some("wamid.LATE")));
    assert_eq!(messages.len(), 2);
}

#[tokio::test]
async fn no_reply_while_a_human_has_taken_over() {
    let l = agent_loop().await;
    l.mount_ok("should not be sent").await;
    l.inbox.deliver(&meta_payload("text")).await;
    let id = l.inbox.conversations().await[0]["id"].as_str().unwrap_or_default().to_owned();
    let takeover = colloquy_tests::ApiCall::fixture("takeover-conversation").key(&l.inbox.key).path_param("id", &id);
    assert_eq!(colloquy_tests::call("takeover-conversation", &l.inbox.stack.app, takeover).await.status, 200);

    l.run_worker().await;

    assert!(l.llm_calls().await.is_empty());
    assert!(l.texts_sent().await.is_empty(), "nothing sent");
    let messages = l.inbox.messages().await;
    assert_eq!(messages[0]["status"], "skipped");
    assert!(messages[0]["error"]["message"].as_str().unwrap_or_default().contains("human"), "{:?}", messages[0]);
}

#[tokio::test]
async fn no_free_form_reply_outside_the_window_and_the_conversation_says_why() {
    let l = agent_loop().await;
    l.mount_ok("too late").await;
    l.inbox.deliver(&meta_payload("text")).await;
    l.inbox.stack.clock.advance(time::Duration::hours(25));

    l.run_worker().await;

    assert!(l.llm_calls().await.is_empty());
    assert!(l.texts_sent().await.is_empty());
    let messages = l.inbox.messages().await;
    assert_eq!(messages[0]["status"], "skipped");
    assert!(messages[0]["error"]["message"].as_str().unwrap_or_default().contains("24-hour"), "{:?}", messages[0]);
    assert_eq!(l.inbox.conversations().await[0]["active"], false);
}

#[tokio::test]
async fn an_llm_failing_every_time_dead_letters_the_trigger_keeps_the_message_and_says_why() {
    let l = agent_loop().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_string("model overloaded"))
        .mount(&l.llm)
        .await;
    Mock::given(method("POST")).respond_with(sent("wamid.NEVER")).mount(&l.graph).await;
    l.inbox.deliver(&meta_payload("text")).await;

    let polls = l.source.drain(&l.worker, 10).await.expect("polls");

    assert_eq!(polls.len(), 5, "received five times, then moved to the dead-letter queue: {polls:?}");
    assert!(polls.iter().all(|p| p.failed == 1));
    let dead = l
        .inbox
        .stack
        .sqs()
        .receive_message()
        .queue_url(&l.inbox.stack.resources.dead_letter_queue_url)
        .send()
        .await
        .expect("receive");
    let dead = dead.messages.unwrap_or_default();
    assert_eq!(dead.len(), 1, "the trigger is in the dead-letter queue");
    assert!(dead[0].body().unwrap_or_default().contains("wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBDMEY0"));
    let messages = l.inbox.messages().await;
    assert_eq!(messages.len(), 2, "the inbound message is still stored, and the failure beside it: {messages:?}");
    assert_eq!(messages[0]["status"], "failed", "on the last receive the operator sees why: {:?}", messages[0]);
    let why = messages[0]["error"]["message"].as_str().unwrap_or_default();
    assert!(why.contains("model overloaded"), "{why}");
    assert!(l.texts_sent().await.is_empty());
}

fn sqs_fixture(name: &str, trigger: &Value) -> aws_lambda_events::event::sqs::SqsEvent {
    let path = colloquy_tests::project_root().join("events").join("sqs").join(format!("{name}.json"));
    let mut event: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("JSON");
    event["Records"][0]["body"] = json!(trigger.to_string());
    event["Records"][0]["attributes"]["MessageGroupId"] = trigger["conversationId"].clone();
    serde_json::from_value(event).expect("an SQS event")
}

#[tokio::test]
async fn an_operator_prompt_makes_the_agent_write_to_the_contact() {
    let l = agent_loop().await;
    l.mount_ok("Would Saturday 10:00 work for a tour?").await;
    l.inbox.deliver(&meta_payload("text")).await;
    l.run_worker().await;
    let conversation = l.inbox.conversations().await[0].clone();
    let id = conversation["id"].as_str().unwrap_or_default().to_owned();

    let request = colloquy_tests::ApiCall::fixture("prompt-agent").key(&l.inbox.key).path_param("id", &id);
    let answer = colloquy_tests::call("prompt-agent", &l.inbox.stack.app, request).await;
    assert_eq!(answer.status, 204, "{}", answer.body);
    let queued: Value = {
        let received = l
            .inbox
            .stack
            .sqs()
            .receive_message()
            .queue_url(&l.inbox.stack.resources.queue_url)
            .send()
            .await
            .expect("receive");
        let message = received.messages.unwrap_or_default().into_iter().next().expect("a trigger was queued");
        serde_json::from_str(message.body().unwrap_or_default()).expect("trigger")
    };
    assert_eq!(queued["kind"], "operator_prompt");

    let response = l.worker.handle(sqs_fixture("operator-prompt", &queued), Deadline::NONE).await;

    assert!(response.batch_item_failures.is_empty());
    let calls = l.llm_calls().await;
    assert_eq!(calls.len(), 2, "one reply to the contact, one after the instruction");
    let request: Value = serde_json::from_slice(&calls[1].body).expect("JSON");
    let last = request["messages"].as_array().and_then(|m| m.last()).cloned().unwrap_or_default();
    assert!(
        last["content"].as_str().unwrap_or_default().contains("Offer the contact a tour this Saturday at 10:00."),
        "{last}"
    );
    assert_eq!(l.texts_sent().await.len(), 2);
}

#[tokio::test]
async fn an_operator_prompt_on_an_inactive_conversation_is_400() {
    let l = agent_loop().await;
    l.mount_ok("hello").await;
    l.inbox.deliver(&meta_payload("text")).await;
    l.inbox.stack.clock.advance(time::Duration::hours(24));
    let id = l.inbox.conversations().await[0]["id"].as_str().unwrap_or_default().to_owned();

    let request = colloquy_tests::ApiCall::fixture("prompt-agent").key(&l.inbox.key).path_param("id", &id);
    let answer = colloquy_tests::call("prompt-agent", &l.inbox.stack.app, request).await;

    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(answer.body["error"]["message"].as_str().unwrap_or_default().contains("not active"));
    let missing =
        colloquy_tests::ApiCall::fixture("prompt-agent").key(&l.inbox.key).path_param("id", &id).json(json!({}));
    assert_eq!(colloquy_tests::call("prompt-agent", &l.inbox.stack.app, missing).await.error_field(), Some("prompt"));
}

#[tokio::test]
async fn a_reply_refused_for_good_is_marked_failed_with_meta_s_code_and_not_retried() {
    let l = agent_loop().await;
    Mock::given(method("POST")).and(path("/v1/chat/completions")).respond_with(completion("hi")).mount(&l.llm).await;
    Mock::given(method("POST"))
        .respond_with(crate::conversations::meta_error(131026, "Message undeliverable"))
        .mount(&l.graph)
        .await;
    l.inbox.deliver(&meta_payload("text")).await;

    let polls = l.source.drain(&l.worker, 5).await.expect("polls");

    assert_eq!(polls.iter().map(|p| p.failed).sum::<usize>(), 0, "not retried");
    let messages = l.inbox.messages().await;
    assert_eq!(messages[0]["status"], "failed");
    assert_eq!(messages[0]["error"]["code"], 131026);
}

#[tokio::test]
async fn a_long_reply_is_split_into_messages_of_at_most_4096_characters() {
    let l = agent_loop().await;
    let long = format!("{}\n\n{}", "a".repeat(4000), "b".repeat(1000));
    l.mount_ok(&long).await;
    l.inbox.deliver(&meta_payload("text")).await;

    l.run_worker().await;

    let bodies: Vec<usize> =
        l.texts_sent().await.iter().map(|t| t["text"]["body"].as_str().unwrap_or_default().chars().count()).collect();
    assert_eq!(bodies, vec![4000, 1000]);
}

#[tokio::test]
async fn token_usage_is_recorded_on_the_reply() {
    let l = agent_loop().await;
    l.mount_ok("counted").await;
    l.inbox.deliver(&meta_payload("text")).await;

    l.run_worker().await;

    let conversation = l.inbox.conversations().await[0].clone();
    let stored = l
        .inbox
        .stack
        .store
        .get_conversation(
            &l.inbox.stack.app_workspace(&l.inbox.key).await,
            &conversation["id"].as_str().unwrap_or_default().into(),
        )
        .await;
    let stored = stored.expect("read").expect("conversation");
    assert_eq!((stored.input_tokens, stored.output_tokens), (42, 7));
}

#[tokio::test]
async fn statuses_move_the_reply_forward_and_a_failure_carries_meta_s_error() {
    let l = agent_loop().await;
    Mock::given(method("POST")).and(path("/v1/chat/completions")).respond_with(completion("hi")).mount(&l.llm).await;
    Mock::given(method("POST")).respond_with(sent("wamid.OUT1")).mount(&l.graph).await;
    l.inbox.deliver(&meta_payload("text")).await;
    l.run_worker().await;
    let status = |messages: &Vec<Value>| messages[0]["status"].as_str().unwrap_or_default().to_owned();

    for payload in ["status-sent", "status-read", "status-delivered"] {
        assert_eq!(l.inbox.deliver(&meta_payload(payload)).await.status, 200);
    }
    assert_eq!(status(&l.inbox.messages().await), "read", "a late `delivered` does not undo `read`");

    l.inbox.deliver(&meta_payload("status-failed-131047")).await;
    let messages = l.inbox.messages().await;
    assert_eq!(status(&messages), "failed");
    assert_eq!(messages[0]["error"]["code"], 131047);
}

#[tokio::test]
async fn a_failed_trigger_is_retried_after_a_growing_backoff() {
    let l = agent_loop().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(500)).mount(&l.llm).await;
    l.inbox.deliver(&meta_payload("text")).await;

    let (event, _) = l.source.receive().await.expect("receive");
    let response = l.worker.handle(event, Deadline::NONE).await;

    assert_eq!(response.batch_item_failures.len(), 1);
    let (again, _) = l.source.receive().await.expect("receive");
    assert!(again.records.is_empty(), "the failed trigger is hidden for its backoff, not redelivered at once");
    let delays: Vec<u64> = (1..=6).map(|n| colloquy_functions::worker::backoff(n).as_secs()).collect();
    assert_eq!(delays, vec![10, 20, 40, 80, 160, 320]);
    assert_eq!(colloquy_functions::worker::backoff(30).as_secs(), 900);
}

#[tokio::test]
async fn every_outbound_request_names_colloquy_and_its_version() {
    let l = agent_loop().await;
    l.mount_ok("Yes, it is.").await;
    l.inbox.deliver(&meta_payload("text")).await;
    l.run_worker().await;

    let mut requests = l.llm_calls().await;
    requests.extend(l.graph.received_requests().await.unwrap_or_default());
    assert!(requests.len() >= 2, "the LLM and the Graph API were called");
    for request in requests {
        let agent = request.headers.get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        assert_eq!(agent, format!("Colloquy/{}", env!("CARGO_PKG_VERSION")), "{}", request.url);
    }
}
