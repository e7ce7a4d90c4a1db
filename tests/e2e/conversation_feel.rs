//! Feels like a person on the other end: WhatsApp's own formatting, a read receipt with the
//! typing indicator as the agent starts, and no answer that ignores a message sent meanwhile.

use std::time::Duration;

use colloquy_tests::{call, meta_payload, ApiCall};
use serde_json::{json, Value};
use wiremock::matchers::{body_partial_json, body_string_contains, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::agent_loop::{agent_loop, completion, sent, Loop};

const FIXTURE_WAMID: &str = "wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBDMEY0";
const FIXTURE_TEXT: &str = "Hi, is the 2-bedroom still available?";

fn text(wamid: &str, words: &str) -> String {
    meta_payload("text").replace(FIXTURE_TEXT, words).replace(FIXTURE_WAMID, wamid)
}

async fn read_receipts(l: &Loop) -> Vec<Value> {
    let requests = l.graph.received_requests().await.unwrap_or_default();
    let bodies = requests.iter().filter_map(|r| serde_json::from_slice::<Value>(&r.body).ok());
    bodies.filter(|b| b["status"] == "read").collect()
}

#[tokio::test]
async fn markdown_from_the_model_reaches_whatsapp_in_whatsapp_s_own_marks() {
    let l = agent_loop().await;
    let markdown =
        "## Saturday\n**Yes!** The flat is *free*.\n* 10:00\n* 11:30\nBook: [calendar](https://example.com/book)";
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(completion(markdown))
        .mount(&l.llm)
        .await;
    Mock::given(method("POST")).respond_with(sent("wamid.MD")).mount(&l.graph).await;
    l.inbox.deliver(&meta_payload("text")).await;

    l.run_worker().await;

    let sent = l.texts_sent().await;
    let expected =
        "*Saturday*\n*Yes!* The flat is _free_.\n- 10:00\n- 11:30\nBook: calendar (https://example.com/book)";
    assert_eq!(sent[0]["text"]["body"], expected);
    assert_eq!(l.inbox.messages().await[0]["text"], expected, "stored as sent");
}

#[tokio::test]
async fn the_latest_message_is_marked_read_with_the_typing_indicator_once_per_answered_burst() {
    let l = agent_loop().await;
    l.mount_ok("Here you go.").await;
    for (n, words) in ["Hi", "is it free?"].iter().enumerate() {
        l.inbox.deliver(&text(&format!("wamid.READ{n}"), words)).await;
    }

    l.run_worker().await;

    let receipts = read_receipts(&l).await;
    assert_eq!(receipts.len(), 1, "one call for the burst: {receipts:?}");
    assert_eq!(receipts[0]["message_id"], "wamid.READ1", "the latest message");
    assert_eq!(receipts[0]["typing_indicator"], json!({"type": "text"}));
    assert_eq!(l.texts_sent().await.len(), 1);
}

#[tokio::test]
async fn no_read_receipt_or_typing_while_a_human_has_taken_over() {
    let l = agent_loop().await;
    l.mount_ok("should not be sent").await;
    l.inbox.deliver(&meta_payload("text")).await;
    let id = l.inbox.conversations().await[0]["id"].as_str().unwrap_or_default().to_owned();
    let takeover = ApiCall::fixture("takeover-conversation").key(&l.inbox.key).path_param("id", &id).json(json!({}));
    assert_eq!(call("takeover-conversation", &l.inbox.stack.app, takeover).await.status, 200);

    l.run_worker().await;

    assert!(read_receipts(&l).await.is_empty(), "the human decides when the contact sees a read receipt");
    assert!(l.texts_sent().await.is_empty());
}

#[tokio::test]
async fn a_message_that_arrives_while_the_llm_writes_is_in_the_reply_that_is_sent() {
    let l = agent_loop().await;
    // The first answer takes a while; the one written after the second message comes at once.
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(body_string_contains("for Saturday morning"))
        .respond_with(completion("Saturday morning works, see you then."))
        .with_priority(1)
        .mount(&l.llm)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(completion("Which day would you like?").set_delay(Duration::from_millis(800)))
        .with_priority(2)
        .mount(&l.llm)
        .await;
    Mock::given(method("POST")).respond_with(sent("wamid.LATEST")).mount(&l.graph).await;
    l.inbox.deliver(&text("wamid.FIRST", "I want to book a viewing")).await;

    let worker = l.run_worker();
    let meanwhile = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        l.inbox.deliver(&text("wamid.SECOND", "for Saturday morning")).await
    };
    let (_, delivered) = tokio::join!(worker, meanwhile);
    assert_eq!(delivered.status, 200);
    l.run_worker().await;

    let sent = l.texts_sent().await;
    assert_eq!(sent.len(), 1, "one reply: {sent:?}");
    assert_eq!(sent[0]["text"]["body"], "Saturday morning works, see you then.");
    assert_eq!(l.llm_calls().await.len(), 2, "the first answer was written again with the new message");
    let today = colloquy_domain::usage::model::day_of(colloquy_domain::ports::Clock::now(l.inbox.stack.clock.as_ref()));
    let request = ApiCall::fixture("get-usage").key(&l.inbox.key).query("from", &today).query("to", &today);
    let report = call("get-usage", &l.inbox.stack.app, request).await;
    let expected = json!({"inputTokens": 84, "cachedInputTokens": 0, "outputTokens": 14, "calls": 2,
        "analysisInputTokens": 0, "analysisOutputTokens": 0, "analysisCalls": 0, "transcribedSeconds": 0,
            "testInputTokens": 0, "testOutputTokens": 0, "testCalls": 0});
    assert_eq!(report.body["totals"], expected, "both calls count");
}

#[tokio::test]
async fn read_receipts_that_fail_do_not_hold_the_reply_back() {
    let l = agent_loop().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(completion("Still here."))
        .mount(&l.llm)
        .await;
    Mock::given(method("POST"))
        .and(body_partial_json(json!({"status": "read"})))
        .respond_with(ResponseTemplate::new(500))
        .with_priority(1)
        .mount(&l.graph)
        .await;
    Mock::given(method("POST")).respond_with(sent("wamid.OK")).with_priority(2).mount(&l.graph).await;
    l.inbox.deliver(&meta_payload("text")).await;

    l.run_worker().await;

    assert_eq!(l.texts_sent().await.len(), 1);
}

/// An agent with a quiet period: the inbox's agent, changed.
async fn with_reply_delay(l: &Loop, body: Value) {
    let request = ApiCall::fixture("update-agent").key(&l.inbox.key).path_param("id", &l.inbox.agent).json(body);
    let changed = call("update-agent", &l.inbox.stack.app, request).await;
    assert_eq!(changed.status, 200, "{}", changed.body);
}

#[tokio::test]
async fn a_burst_within_the_quiet_period_gets_one_reply_that_sees_all_of_it() {
    let l = agent_loop().await;
    l.mount_ok("One answer to all three.").await;
    with_reply_delay(&l, json!({"replyDelaySeconds": 3})).await;
    for (n, words) in ["Hi", "I want to book a viewing", "for Saturday morning"].iter().enumerate() {
        l.inbox.deliver(&text(&format!("wamid.QUIET{n}"), words)).await;
        l.inbox.stack.clock.advance(time::Duration::seconds(1));
    }
    let polled = l.source.poll_once(&l.worker).await.expect("poll");
    assert_eq!((polled.received, polled.failed), (3, 3), "still writing: the triggers are put off");
    assert!(l.llm_calls().await.is_empty(), "nothing is answered while the contact writes");

    l.inbox.stack.clock.advance(time::Duration::seconds(3));
    l.run_worker().await;

    let calls = l.llm_calls().await;
    assert_eq!(calls.len(), 1, "one reply for the burst");
    let asked = String::from_utf8_lossy(&calls[0].body).into_owned();
    for words in ["Hi", "I want to book a viewing", "for Saturday morning"] {
        assert!(asked.contains(words), "the reply saw {words:?}");
    }
    assert_eq!(l.texts_sent().await.len(), 1);
}

#[tokio::test]
async fn the_prompt_s_response_time_is_the_quiet_period_when_the_agent_sets_none() {
    let l = agent_loop().await;
    l.mount_ok("Answered.").await;
    with_reply_delay(&l, json!({"replyDelaySeconds": null})).await;
    let agent = call(
        "get-agent",
        &l.inbox.stack.app,
        ApiCall::fixture("get-agent").key(&l.inbox.key).path_param("id", &l.inbox.agent),
    )
    .await;
    let prompt_id = agent.body["promptId"].as_str().unwrap_or_default().to_owned();
    // A text change on a version ten minutes old is captured as a version, which the agent follows.
    l.inbox.stack.clock.advance(time::Duration::minutes(11));
    let change = json!({"prompt": "You are helpful and brief.", "responseTime": 10});
    let edit = ApiCall::fixture("update-prompt").key(&l.inbox.key).path_param("promptId", &prompt_id).json(change);
    let edited = call("update-prompt", &l.inbox.stack.app, edit).await;
    assert!(edited.body.get("versionSnapshot").is_some(), "{}", edited.body);
    l.inbox.deliver(&meta_payload("text")).await;

    l.inbox.stack.clock.advance(time::Duration::seconds(5));
    let early = l.source.poll_once(&l.worker).await.expect("poll");
    l.inbox.stack.clock.advance(time::Duration::seconds(6));
    l.run_worker().await;

    assert_eq!(early.failed, 1, "5 s of quiet is not yet 10");
    assert_eq!(l.texts_sent().await.len(), 1);
}

#[tokio::test]
async fn a_reaction_is_recorded_on_the_reply_it_reacts_to_and_answered_only_when_the_agent_says_so() {
    let l = agent_loop().await;
    l.mount_ok("The flat is free.").await;
    l.inbox.deliver(&meta_payload("text")).await;
    l.run_worker().await;
    let reply_wamid = l.inbox.messages().await[0]["wamid"].as_str().unwrap_or_default().to_owned();
    let reaction =
        |wamid: &str| meta_payload("reaction").replace("wamid.OUT1", &reply_wamid).replace("wamid.REACTION1", wamid);

    l.inbox.deliver(&reaction("wamid.THUMBS1")).await;
    l.run_worker().await;
    let messages = l.inbox.messages().await;
    assert_eq!(messages.len(), 2, "no new turn: {messages:?}");
    assert_eq!(messages[0]["reaction"], "👍", "recorded on the reply");
    assert_eq!(l.llm_calls().await.len(), 1, "not answered");

    with_reply_delay(&l, json!({"answerReactions": true})).await;
    l.inbox.deliver(&reaction("wamid.THUMBS2")).await;
    l.run_worker().await;
    assert_eq!(l.llm_calls().await.len(), 2, "answered once the agent says so");
}

#[tokio::test]
async fn an_edit_before_the_answer_is_what_the_agent_reads_and_a_deleted_message_it_never_reads() {
    let l = agent_loop().await;
    l.mount_ok("The 3-bedroom is free.").await;
    l.inbox.deliver(&meta_payload("text")).await;
    l.inbox.deliver(&meta_payload("edit")).await;

    l.run_worker().await;

    let asked = String::from_utf8_lossy(&l.llm_calls().await[0].body).into_owned();
    assert!(asked.contains("3-bedroom") && !asked.contains("2-bedroom"), "{asked}");
    let original = &l.inbox.messages().await[1];
    assert_eq!(
        (original["text"].as_str(), original["edited"].as_bool()),
        (Some("Hi, is the 3-bedroom still available?"), Some(true))
    );

    let revoked = agent_loop().await;
    revoked.mount_ok("should not be sent").await;
    revoked.inbox.deliver(&meta_payload("text")).await;
    revoked.inbox.deliver(&meta_payload("revoke")).await;
    revoked.run_worker().await;
    assert!(revoked.llm_calls().await.is_empty(), "the only message was deleted: nothing to answer");
    let gone = &revoked.inbox.messages().await[0];
    assert_eq!((gone["deleted"].as_bool(), gone["text"].as_str()), (Some(true), None), "its words are not kept");
}

#[tokio::test]
async fn a_contact_cannot_edit_or_delete_someone_else_s_message() {
    let l = agent_loop().await;
    l.inbox.deliver(&meta_payload("text")).await;
    let stranger = meta_payload("revoke").replace("\"from\": \"4915112345678\"", "\"from\": \"4915199999999\"");
    assert!(stranger.contains("4915199999999"));

    assert_eq!(l.inbox.deliver(&stranger).await.status, 200);

    let original = &l.inbox.messages().await[0];
    assert_eq!(original["deleted"], false);
    assert_eq!(original["text"], FIXTURE_TEXT);
}

#[tokio::test]
async fn a_system_notice_is_recorded_and_not_answered() {
    let l = agent_loop().await;
    l.mount_ok("should not be sent").await;

    assert_eq!(l.inbox.deliver(&meta_payload("system")).await.status, 200);
    l.run_worker().await;

    assert_eq!(l.inbox.messages().await[0]["type"], "system");
    assert_eq!(l.inbox.queued().await, 0);
    assert!(l.llm_calls().await.is_empty());
}

#[tokio::test]
async fn a_flow_s_answers_reach_the_agent_with_their_data() {
    let l = agent_loop().await;
    l.mount_ok("Thanks, noted.").await;
    l.inbox.deliver(&meta_payload("interactive-flow-reply")).await;

    l.run_worker().await;

    let asked = String::from_utf8_lossy(&l.llm_calls().await[0].body).into_owned();
    assert!(asked.contains("move_in") && asked.contains("2026-12-01"), "{asked}");
}

async fn write_as_operator(l: &Loop, key: &str, conversation: &str, body: Value) -> colloquy_tests::Answer {
    let request = ApiCall::fixture("send-conversation-message").key(key).path_param("id", conversation).json(body);
    call("send-conversation-message", &l.inbox.stack.app, request).await
}

#[tokio::test]
async fn a_person_writes_during_a_takeover_and_the_agent_reads_it_as_history_afterwards() {
    let l = agent_loop().await;
    l.mount_ok("Glad Maria could help.").await;
    l.inbox.deliver(&meta_payload("text")).await;
    let id = l.inbox.conversations().await[0]["id"].as_str().unwrap_or_default().to_owned();
    let takeover = ApiCall::fixture("takeover-conversation").key(&l.inbox.key).path_param("id", &id).json(json!({}));
    assert_eq!(call("takeover-conversation", &l.inbox.stack.app, takeover).await.status, 200);

    let written = write_as_operator(&l, &l.inbox.key, &id, json!({"text": "Maria here: yes, Saturday works."})).await;

    assert_eq!(written.status, 201, "{}", written.body);
    assert_eq!((written.body["sentBy"].as_str(), written.body["status"].as_str()), (Some("operator"), Some("sent")));
    assert!(written.body["operatorKey"].as_str().is_some_and(|k| l.inbox.key.starts_with(k)));
    let sent = l.texts_sent().await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["text"]["body"], "Maria here: yes, Saturday works.");

    let handback = ApiCall::fixture("handback-conversation").key(&l.inbox.key).path_param("id", &id);
    assert_eq!(call("handback-conversation", &l.inbox.stack.app, handback).await.status, 200);
    l.inbox.deliver(&text("wamid.AFTER", "Thanks! And parking?")).await;
    l.run_worker().await;
    let asked = String::from_utf8_lossy(&l.llm_calls().await[0].body).into_owned();
    assert!(asked.contains("Maria here: yes, Saturday works."), "the agent reads what the person wrote: {asked}");
}

#[tokio::test]
async fn outside_the_window_a_person_may_send_a_template_but_no_text() {
    let l = agent_loop().await;
    Mock::given(method("POST")).respond_with(sent("wamid.TPL")).mount(&l.graph).await;
    l.inbox.deliver(&meta_payload("text")).await;
    let id = l.inbox.conversations().await[0]["id"].as_str().unwrap_or_default().to_owned();
    l.inbox.stack.clock.advance(time::Duration::hours(25));

    let text_refused = write_as_operator(&l, &l.inbox.key, &id, json!({"text": "Still interested?"})).await;
    let template =
        json!({"template": {"name": "viewing_reminder", "language": "en_US", "variables": {"body": ["Anna"]}}});
    let template_sent = write_as_operator(&l, &l.inbox.key, &id, template).await;

    assert_eq!((text_refused.status, text_refused.error_field()), (400, Some("text")), "{}", text_refused.body);
    assert_eq!(template_sent.status, 201, "{}", template_sent.body);
    let requests = l.graph.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), 1, "only the template went out");
}

#[tokio::test]
async fn meta_s_refusal_answers_as_in_create_conversation_and_stores_nothing() {
    let l = agent_loop().await;
    let refusal = json!({"error": {"message": "Re-engagement message", "type": "OAuthException", "code": 131047}});
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(400).set_body_json(refusal)).mount(&l.graph).await;
    l.inbox.deliver(&meta_payload("text")).await;
    let id = l.inbox.conversations().await[0]["id"].as_str().unwrap_or_default().to_owned();

    let refused = write_as_operator(&l, &l.inbox.key, &id, json!({"text": "hello"})).await;

    assert_eq!((refused.status, refused.body["error"]["metaCode"].as_i64()), (422, Some(131047)), "{}", refused.body);
    assert_eq!(l.inbox.messages().await.len(), 1, "nothing stored");
}

#[tokio::test]
async fn a_read_key_and_another_workspace_cannot_write_to_the_contact() {
    let l = agent_loop().await;
    l.inbox.deliver(&meta_payload("text")).await;
    let id = l.inbox.conversations().await[0]["id"].as_str().unwrap_or_default().to_owned();
    let reader = l.inbox.stack.key_for(&l.inbox.key, colloquy_domain::model::Role::Read).await;
    let stranger = l.inbox.stack.workspace("Stranger").await;

    let by_reader = write_as_operator(&l, &reader, &id, json!({"text": "hi"})).await;
    let by_stranger = write_as_operator(&l, &stranger.plaintext, &id, json!({"text": "hi"})).await;

    assert_eq!(by_reader.status, 403);
    assert_eq!(by_stranger.status, 404);
    assert!(l.graph.received_requests().await.unwrap_or_default().is_empty());
}
