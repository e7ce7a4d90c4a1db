//! Flashback's send-prompt: user turns in an API-only conversation, the reply awaited with its
//! token counts, context kept across turns, and the seed's error shape.

use std::sync::Arc;

use colloquy_tests::{call, Answer, ApiCall};
use serde_json::{json, Value};

use crate::agent_loop::{agent_loop, Loop};

pub async fn api_conversation(l: &Loop) -> String {
    let body = json!({"channel": "api", "agentId": l.inbox.agent});
    let created = call(
        "create-conversation",
        &l.inbox.stack.app,
        ApiCall::fixture("create-conversation").key(&l.inbox.key).json(body),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!((created.body["channel"].as_str(), created.body["active"].as_bool()), (Some("api"), Some(true)));
    created.body["id"].as_str().unwrap_or_default().to_owned()
}

async fn prompt(l: &Loop, key: &str, id: &str, body: Value) -> Answer {
    let request = ApiCall::fixture("send-prompt").bearer(key).path_param("conversationId", id).json(body);
    call("send-prompt", &l.inbox.stack.app, request).await
}

/// Runs the worker in the background for a few seconds, as the queue's event source would.
fn worker_running(l: &Arc<Loop>) -> tokio::task::JoinHandle<()> {
    let l = l.clone();
    tokio::spawn(async move {
        for _ in 0..40 {
            let _ = l.source.poll_once(&l.worker).await;
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    })
}

#[tokio::test]
async fn wait_seconds_returns_the_reply_with_its_token_counts_and_context_is_kept() {
    let l = Arc::new(agent_loop().await);
    l.mount_ok("Rotate them and keep them out of code.").await;
    let id = api_conversation(&l).await;
    let worker = worker_running(&l);

    let first = prompt(
        &l,
        &l.inbox.key,
        &id,
        json!({"prompt": "What is the best practice for securing API keys?", "waitSeconds": 5}),
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(
        (first.body["success"].as_bool(), first.body["message"].as_str()),
        (Some(true), Some("Prompt sent successfully"))
    );
    assert_eq!(first.body["response"]["content"], "Rotate them and keep them out of code.");
    assert_eq!(
        (first.body["response"]["inputTokens"].as_u64(), first.body["response"]["outputTokens"].as_u64()),
        (Some(42), Some(7))
    );
    assert_eq!(first.body["response"]["model"], "gpt-4o-mini");

    let second = prompt(&l, &l.inbox.key, &id, json!({"prompt": "And how often?", "waitSeconds": 5})).await;
    assert_eq!(second.status, 200, "{}", second.body);
    worker.abort();
    let calls = l.llm_calls().await;
    assert_eq!(calls.len(), 2);
    let request: Value = serde_json::from_slice(&calls[1].body).expect("JSON");
    let roles: Vec<&str> =
        request["messages"].as_array().into_iter().flatten().filter_map(|m| m["role"].as_str()).collect();
    assert_eq!(roles, vec!["system", "user", "assistant", "user"], "the earlier turn is context: {request}");
    assert!(l.texts_sent().await.is_empty(), "an API conversation sends nothing to WhatsApp");
}

#[tokio::test]
async fn without_wait_the_prompt_is_queued_and_answered_later() {
    let l = agent_loop().await;
    l.mount_ok("later").await;
    let id = api_conversation(&l).await;

    let sent = prompt(&l, &l.inbox.key, &id, json!({"prompt": "hello"})).await;

    assert_eq!(sent.status, 200, "{}", sent.body);
    assert!(sent.body.get("response").is_none());
    l.run_worker().await;
    assert_eq!(l.llm_calls().await.len(), 1);
}

#[tokio::test]
async fn errors_use_the_seed_s_shape() {
    let l = agent_loop().await;
    let id = api_conversation(&l).await;
    let stranger = l.inbox.stack.workspace("Stranger").await;
    let cases = [
        (prompt(&l, &l.inbox.key, "conv_nope", json!({"prompt": "hi"})).await, 404),
        (prompt(&l, &stranger.plaintext, &id, json!({"prompt": "hi"})).await, 404),
        (prompt(&l, &l.inbox.key, &id, json!({})).await, 400),
        (prompt(&l, &l.inbox.key, &id, json!({"prompt": "hi", "waitSeconds": 30})).await, 400),
        (prompt(&l, "clq_wrong", &id, json!({"prompt": "hi"})).await, 401),
    ];
    for (answer, status) in cases {
        assert_eq!(answer.status, status, "{}", answer.body);
        assert_eq!(answer.body["success"], false, "{}", answer.body);
        assert!(answer.body["message"].as_str().is_some_and(|m| !m.is_empty()), "{}", answer.body);
    }
    assert_eq!(l.inbox.queued().await, 0, "nothing was queued");
}
