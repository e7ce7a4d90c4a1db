//! Policies on input and output: block, log, replace; violations listed with the match masked.

use colloquy_tests::{call, meta_payload, Answer, ApiCall};
use serde_json::{json, Value};

use crate::agent_loop::{agent_loop, Loop};
use crate::send_prompt::api_conversation;

async fn create(l: &Loop, key: &str, body: Value) -> Answer {
    call("create-policy", &l.inbox.stack.app, ApiCall::fixture("create-policy").key(key).json(body)).await
}

async fn violations(l: &Loop) -> Vec<Value> {
    let listed = call(
        "list-policy-violations",
        &l.inbox.stack.app,
        ApiCall::fixture("list-policy-violations").key(&l.inbox.key),
    )
    .await;
    listed.body["results"].as_array().cloned().unwrap_or_default()
}

async fn prompt(l: &Loop, id: &str, text: &str) -> Answer {
    let request = ApiCall::fixture("send-prompt")
        .bearer(&l.inbox.key)
        .path_param("conversationId", id)
        .json(json!({"prompt": text}));
    call("send-prompt", &l.inbox.stack.app, request).await
}

#[tokio::test]
async fn a_regex_block_rule_stops_a_prompt_and_nothing_is_queued() {
    let l = agent_loop().await;
    let rule = json!({"name": "No CVV", "patterns": ["(?i)cvv\\s*\\d{3}"], "appliesTo": "input", "action": "block"});
    assert_eq!(create(&l, &l.inbox.key, rule).await.status, 201);
    let id = api_conversation(&l).await;

    let blocked = prompt(&l, &id, "my CVV 123, can you store it?").await;

    assert_eq!(blocked.status, 400, "{}", blocked.body);
    assert_eq!(blocked.body["success"], false);
    assert!(
        blocked.body["message"].as_str().unwrap_or_default().contains("No CVV"),
        "names the policy: {}",
        blocked.body
    );
    assert_eq!(l.inbox.queued().await, 0, "nothing reached the queue");
    let found = violations(&l).await;
    assert_eq!(found.len(), 1);
    assert_eq!((found[0]["action"].as_str(), found[0]["direction"].as_str()), (Some("block"), Some("input")));
    assert_eq!(found[0]["excerpt"], "my *******, can you store it?");
}

#[tokio::test]
async fn a_log_rule_lets_the_prompt_through_and_stores_the_violation() {
    let l = agent_loop().await;
    l.mount_ok("noted").await;
    let rule = json!({"name": "Emails", "detectors": ["email"], "appliesTo": "both", "action": "log"});
    assert_eq!(create(&l, &l.inbox.key, rule).await.status, 201);
    let id = api_conversation(&l).await;

    let sent = prompt(&l, &id, "reach me at anna@example.com").await;

    assert_eq!(sent.status, 200, "{}", sent.body);
    assert_eq!(l.inbox.queued().await, 1);
    let found = violations(&l).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["excerpt"], "reach me at ****************");
    assert_eq!(found[0]["conversationId"], id);
}

#[tokio::test]
async fn an_output_rule_replaces_a_reply_with_a_card_number() {
    let l = agent_loop().await;
    l.mount_ok("Sure, use card 4111 1111 1111 1111.").await;
    let rule = json!({"name": "No cards out", "detectors": ["card"], "appliesTo": "output", "action": "block"});
    assert_eq!(create(&l, &l.inbox.key, rule).await.status, 201);
    l.inbox.deliver(&meta_payload("text")).await;

    l.run_worker().await;

    let sent = l.texts_sent().await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["text"]["body"], "Sorry, I can't help with that here.");
    assert!(!l.inbox.messages().await.iter().any(|m| m.to_string().contains("4111")), "the card never reaches storage");
    let found = violations(&l).await;
    assert_eq!((found.len(), found[0]["direction"].as_str()), (1, Some("output")));
}

#[tokio::test]
async fn a_blocked_whatsapp_message_is_stored_flagged_and_never_reaches_the_llm() {
    let l = agent_loop().await;
    l.mount_ok("should not happen").await;
    let rule = json!({"name": "Bad words", "keywords": ["2-BEDROOM"], "appliesTo": "input", "action": "block"});
    assert_eq!(create(&l, &l.inbox.key, rule).await.status, 201);

    assert_eq!(l.inbox.deliver(&meta_payload("text")).await.status, 200);
    l.run_worker().await;

    assert!(l.llm_calls().await.is_empty());
    let messages = l.inbox.messages().await;
    assert_eq!(messages.len(), 1);
    assert!(messages[0]["error"]["message"].as_str().unwrap_or_default().contains("Bad words"), "{:?}", messages[0]);
}

#[tokio::test]
async fn policies_are_managed_validated_and_private_to_their_workspace() {
    let l = agent_loop().await;
    let stranger = l.inbox.stack.workspace("Stranger").await;
    let bad = [
        (json!({"name": "x", "appliesTo": "input", "action": "block"}), "keywords"),
        (json!({"name": "x", "patterns": ["(unclosed"], "appliesTo": "input", "action": "block"}), "patterns[0]"),
        (json!({"name": "x", "detectors": ["dna"], "appliesTo": "input", "action": "block"}), "detectors[0]"),
        (json!({"name": "x", "keywords": ["a"], "appliesTo": "sideways", "action": "block"}), "appliesTo"),
        (json!({"name": "", "keywords": ["a"], "appliesTo": "input", "action": "log"}), "name"),
    ];
    for (body, field) in bad {
        let answer = create(&l, &l.inbox.key, body.clone()).await;
        assert_eq!((answer.status, answer.error_field()), (400, Some(field)), "{body} answered {}", answer.body);
    }
    let created = create(&l, &l.inbox.key, ApiCall::fixture("create-policy").body_json()).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap_or_default().to_owned();
    let changed = call(
        "update-policy",
        &l.inbox.stack.app,
        ApiCall::fixture("update-policy").key(&l.inbox.key).path_param("id", &id),
    )
    .await;
    assert_eq!((changed.status, changed.body["action"].as_str()), (200, Some("log")));

    let theirs = |f: &str| ApiCall::fixture(f).key(&stranger.plaintext).path_param("id", &id);
    assert_eq!(call("get-policy", &l.inbox.stack.app, theirs("get-policy")).await.status, 404);
    assert_eq!(call("update-policy", &l.inbox.stack.app, theirs("update-policy")).await.status, 404);
    assert_eq!(call("delete-policy", &l.inbox.stack.app, theirs("delete-policy")).await.status, 404);
    let reader = l.inbox.stack.key_for(&l.inbox.key, colloquy_domain::model::Role::Read).await;
    assert_eq!(create(&l, &reader, ApiCall::fixture("create-policy").body_json()).await.status, 403);
    let deleted = call(
        "delete-policy",
        &l.inbox.stack.app,
        ApiCall::fixture("delete-policy").key(&l.inbox.key).path_param("id", &id),
    )
    .await;
    assert_eq!(deleted.status, 204);
    let listed = call("list-policies", &l.inbox.stack.app, ApiCall::fixture("list-policies").key(&l.inbox.key)).await;
    assert_eq!(listed.body["count"], 0);
}
