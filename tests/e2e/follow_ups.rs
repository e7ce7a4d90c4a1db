//! Scheduled follow-ups with a controllable clock: the scheduler queues due conversations, the
//! worker re-checks at send time and writes (inside the window) or sends the template (outside).

use colloquy_tests::{call, meta_payload, ApiCall};
use serde_json::{json, Value};
use time::Duration;

use crate::agent_loop::{agent_loop, Loop};

async fn set_follow_up(l: &Loop, policy: Value) {
    let request = ApiCall::fixture("update-agent")
        .key(&l.inbox.key)
        .path_param("id", &l.inbox.agent)
        .json(json!({"followUp": policy}));
    let answer = call("update-agent", &l.inbox.stack.app, request).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

fn scheduled_event() -> Value {
    let path = colloquy_tests::project_root().join("events").join("scheduled-follow-up.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("JSON")
}

async fn schedule(l: &Loop) -> u64 {
    let summary =
        colloquy_functions::scheduler::handle(&l.inbox.stack.app, scheduled_event()).await.expect("scheduler runs");
    summary["queued"].as_u64().unwrap_or(0)
}

async fn templates_sent(l: &Loop) -> Vec<Value> {
    let requests = l.graph.received_requests().await.unwrap_or_default();
    requests
        .iter()
        .filter_map(|r| serde_json::from_slice::<Value>(&r.body).ok())
        .filter(|b| b["type"] == "template")
        .collect()
}

fn advance(l: &Loop, minutes: i64) {
    l.inbox.stack.clock.advance(Duration::minutes(minutes));
}

#[tokio::test]
async fn a_silent_contact_gets_k_follow_ups_n_minutes_apart_and_then_none() {
    let l = agent_loop().await;
    set_follow_up(
        &l,
        json!({"afterMinutes": 30, "maxAttempts": 2, "instruction": "Ask whether they still want a tour."}),
    )
    .await;
    l.mount_ok("Sure, when would you like to visit?").await;
    l.inbox.deliver(&meta_payload("text")).await;
    l.run_worker().await;
    assert_eq!(schedule(&l).await, 0, "not due yet");

    advance(&l, 30);
    assert_eq!(schedule(&l).await, 1);
    l.run_worker().await;
    let calls = l.llm_calls().await;
    assert_eq!(calls.len(), 2);
    let request: Value = serde_json::from_slice(&calls[1].body).expect("JSON");
    let last = request["messages"].as_array().and_then(|m| m.last()).cloned().unwrap_or_default();
    assert!(last["content"].as_str().unwrap_or_default().contains("[Follow-up 1 of 2"), "{last}");
    assert!(last["content"].as_str().unwrap_or_default().contains("Ask whether they still want a tour."));

    advance(&l, 29);
    assert_eq!(schedule(&l).await, 0, "the next one is N minutes after the first follow-up");
    advance(&l, 1);
    assert_eq!(schedule(&l).await, 1);
    l.run_worker().await;

    advance(&l, 30);
    assert_eq!(schedule(&l).await, 0, "nothing after K");
    l.run_worker().await;
    assert_eq!(l.llm_calls().await.len(), 3);
    assert_eq!(l.texts_sent().await.len(), 3, "the reply and two follow-ups");
}

#[tokio::test]
async fn a_contact_who_writes_before_the_due_time_gets_no_follow_up() {
    let l = agent_loop().await;
    set_follow_up(&l, json!({"afterMinutes": 30, "maxAttempts": 3, "instruction": "Nudge."})).await;
    l.mount_ok("ok").await;
    l.inbox.deliver(&meta_payload("text")).await;
    l.run_worker().await;

    advance(&l, 20);
    let again = meta_payload("text").replace("wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBDMEY0", "wamid.AGAIN");
    l.inbox.deliver(&again).await;
    advance(&l, 15);

    assert_eq!(schedule(&l).await, 0, "the contact wrote, so the first due time is gone");
    l.run_worker().await;
    assert_eq!(l.llm_calls().await.len(), 2, "two replies, no follow-up");
    let last_call: Value = serde_json::from_slice(&l.llm_calls().await[1].body).expect("JSON");
    assert!(!last_call.to_string().contains("[Follow-up"));
}

#[tokio::test]
async fn two_overlapping_scheduler_runs_send_one_follow_up() {
    let l = agent_loop().await;
    set_follow_up(&l, json!({"afterMinutes": 30, "maxAttempts": 1, "instruction": "Nudge."})).await;
    l.mount_ok("ok").await;
    l.inbox.deliver(&meta_payload("text")).await;
    l.run_worker().await;
    advance(&l, 31);

    let (first, second) = tokio::join!(schedule(&l), schedule(&l));
    assert_eq!(first + second, 1, "one run queued it");
    assert_eq!(schedule(&l).await, 0, "a later run finds it moved");
    l.run_worker().await;

    assert_eq!(l.texts_sent().await.len(), 2, "the reply and one follow-up");
}

#[tokio::test]
async fn outside_the_window_the_template_is_sent_with_its_variables() {
    let l = agent_loop().await;
    let template =
        json!({"name": "tour_reminder", "language": "en_US", "variables": {"body": ["Maple Court", "Saturday"]}});
    set_follow_up(&l, json!({"afterMinutes": 1500, "maxAttempts": 1, "instruction": "Nudge.", "template": template}))
        .await;
    l.mount_ok("ok").await;
    l.inbox.deliver(&meta_payload("text")).await;
    l.run_worker().await;
    advance(&l, 1500);

    assert_eq!(schedule(&l).await, 1);
    l.run_worker().await;

    let sent = templates_sent(&l).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["template"]["name"], "tour_reminder");
    assert_eq!(
        sent[0]["template"]["components"],
        json!([{"type": "body", "parameters": [{"type": "text", "text": "Maple Court"}, {"type": "text", "text": "Saturday"}]}])
    );
    assert_eq!(l.llm_calls().await.len(), 1, "no LLM for a template");
    let messages = l.inbox.messages().await;
    assert_eq!((messages[0]["type"].as_str(), messages[0]["status"].as_str()), (Some("template"), Some("sent")));
}

#[tokio::test]
async fn outside_the_window_without_a_template_nothing_is_sent_and_the_conversation_says_why() {
    let l = agent_loop().await;
    set_follow_up(&l, json!({"afterMinutes": 1500, "maxAttempts": 2, "instruction": "Nudge."})).await;
    l.mount_ok("ok").await;
    l.inbox.deliver(&meta_payload("text")).await;
    l.run_worker().await;
    advance(&l, 1500);

    assert_eq!(schedule(&l).await, 1);
    l.run_worker().await;

    assert!(templates_sent(&l).await.is_empty());
    assert_eq!(l.texts_sent().await.len(), 1, "only the first reply");
    let messages = l.inbox.messages().await;
    assert_eq!(messages[0]["status"], "skipped");
    assert!(
        messages[0]["error"]["message"].as_str().unwrap_or_default().contains("no follow-up template"),
        "{:?}",
        messages[0]
    );
    advance(&l, 1500);
    assert_eq!(schedule(&l).await, 0, "follow-ups stopped");
}

/// A conversation answered once by an agent with two follow-ups 30 minutes apart, and its id.
async fn answered_with_follow_ups() -> (Loop, String) {
    let l = agent_loop().await;
    set_follow_up(&l, json!({"afterMinutes": 30, "maxAttempts": 2, "instruction": "Nudge."})).await;
    l.mount_ok("ok").await;
    l.inbox.deliver(&meta_payload("text")).await;
    l.run_worker().await;
    let id = l.inbox.conversations().await[0]["id"].as_str().unwrap_or_default().to_owned();
    (l, id)
}

async fn mark_done(l: &Loop, id: &str) {
    let request = ApiCall::fixture("done-conversation").key(&l.inbox.key).path_param("id", id);
    let done = call("done-conversation", &l.inbox.stack.app, request).await;
    assert_eq!((done.status, done.body["isDone"].as_bool()), (200, Some(true)), "{}", done.body);
}

#[tokio::test]
async fn a_conversation_marked_done_gets_no_follow_up_until_the_contact_writes() {
    let (l, id) = answered_with_follow_ups().await;

    mark_done(&l, &id).await;
    advance(&l, 31);
    assert_eq!(schedule(&l).await, 0, "done clears the follow-up");

    let again = meta_payload("text").replace("wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBDMEY0", "wamid.REOPEN");
    l.inbox.deliver(&again).await;
    assert_eq!(l.inbox.conversations().await[0]["isDone"], false, "the contact writing reopens it");
}

/// A known contact's message is stored in one write with no read (its own update expression), a
/// new container's through the careful path: both reopen the conversation and clear follow-ups.
#[tokio::test]
async fn a_message_stored_either_way_reopens_a_done_conversation_and_clears_its_follow_up() {
    let (l, id) = answered_with_follow_ups().await;
    for (n, new_container) in [(1, false), (2, true)] {
        mark_done(&l, &id).await;
        if new_container {
            l.inbox.stack.app.conversation_ids.clear();
        }
        let again =
            meta_payload("text").replace("wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBDMEY0", &format!("wamid.R{n}"));
        l.inbox.deliver(&again).await;
        let conversation = &l.inbox.conversations().await[0];
        assert_eq!(conversation["isDone"], false, "reopened (new container: {new_container})");
        advance(&l, 31);
        assert_eq!(schedule(&l).await, 0, "no follow-up until the agent answers (new container: {new_container})");
        l.run_worker().await;
    }
}
