//! A reply is never sent twice, even when Meta's answer is lost: a part whose send timed out is
//! sent with `biz_opaque_callback_data`, and is sent again only if no status names it in time.

use serde_json::{json, Value};
use wiremock::matchers::{body_partial_json, method};
use wiremock::Mock;

use crate::agent_loop::{agent_loop, completion, sent, Loop};
use colloquy_tests::meta_payload;

/// Meta takes the text but its answer comes after the client gave up (800 ms); read receipts
/// are answered at once.
async fn answers_too_late(l: &Loop) {
    Mock::given(method("POST"))
        .and(wiremock::matchers::path("/v1/chat/completions"))
        .respond_with(completion("Yes, it is free on Saturday."))
        .mount(&l.llm)
        .await;
    Mock::given(method("POST"))
        .and(body_partial_json(json!({"type": "text"})))
        .respond_with(sent("wamid.LATE").set_delay(std::time::Duration::from_millis(1500)))
        .with_priority(1)
        .mount(&l.graph)
        .await;
    Mock::given(method("POST")).respond_with(sent("wamid.READ")).with_priority(2).mount(&l.graph).await;
}

/// One receive of the queue, one worker invocation.
async fn poll(l: &Loop) {
    l.source.poll_once(&l.worker).await.expect("polled");
}

fn reply_of(messages: &[Value]) -> Value {
    messages.iter().find(|m| m["direction"] == "outbound").cloned().unwrap_or(Value::Null)
}

#[tokio::test]
async fn a_part_whose_answer_was_lost_is_confirmed_by_its_status_and_not_sent_again() {
    let l = agent_loop().await;
    answers_too_late(&l).await;
    l.inbox.deliver(&meta_payload("text")).await;

    poll(&l).await;
    let tried = l.texts_sent().await;
    assert_eq!(tried.len(), 1);
    let callback = tried[0]["biz_opaque_callback_data"].as_str().unwrap_or_default().to_owned();
    assert!(callback.ends_with(":0"), "the part is named: {callback}");
    assert_ne!(reply_of(&l.inbox.messages().await)["status"], json!("sent"), "not known to be sent yet");

    // Received again before any status: it waits, nothing is sent.
    poll(&l).await;
    assert_eq!(l.texts_sent().await.len(), 1, "not sent again while its status may come");

    // Meta's status for it arrives, naming the part.
    let status = meta_payload("status-sent")
        .replace("wamid.OUT1", "wamid.LATE")
        .replace("\"recipient_id\"", &format!("\"biz_opaque_callback_data\": \"{callback}\", \"recipient_id\""));
    assert_eq!(l.inbox.deliver(&status).await.status, 200);
    l.run_worker().await;

    assert_eq!(l.texts_sent().await.len(), 1, "sent once");
    let reply = reply_of(&l.inbox.messages().await);
    assert_eq!((&reply["status"], &reply["wamid"]), (&json!("sent"), &json!("wamid.LATE")), "{reply}");
}

#[tokio::test]
async fn without_a_status_in_a_minute_the_part_is_sent_again() {
    let l = agent_loop().await;
    answers_too_late(&l).await;
    l.inbox.deliver(&meta_payload("text")).await;
    poll(&l).await;
    assert_eq!(l.texts_sent().await.len(), 1);

    // A minute passes without a status: Meta did not take it.
    l.inbox.stack.clock.advance(time::Duration::seconds(61));
    l.graph.reset().await;
    Mock::given(method("POST")).respond_with(sent("wamid.AGAIN")).mount(&l.graph).await;
    l.run_worker().await;

    let texts = l.texts_sent().await;
    assert_eq!(texts.len(), 1, "sent again once: {texts:?}");
    let reply = reply_of(&l.inbox.messages().await);
    assert_eq!((&reply["status"], &reply["wamid"]), (&json!("sent"), &json!("wamid.AGAIN")), "{reply}");
}
