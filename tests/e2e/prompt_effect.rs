//! A prompt edit reaches the agent at once (agents that follow the latest answer with the working
//! copy as saved); a pinned agent keeps its version; every reply says which text it used.

use colloquy_tests::{call, meta_payload, ApiCall};
use serde_json::{json, Value};

use crate::agent_loop::{agent_loop, Loop};

async fn prompt_id(l: &Loop) -> String {
    let agent = call(
        "get-agent",
        &l.inbox.stack.app,
        ApiCall::fixture("get-agent").key(&l.inbox.key).path_param("id", &l.inbox.agent),
    )
    .await;
    agent.body["promptId"].as_str().unwrap_or_default().to_owned()
}

async fn edit(l: &Loop, prompt: &str, body: Value) {
    let request = ApiCall::fixture("update-prompt").key(&l.inbox.key).path_param("promptId", prompt).json(body);
    let edited = call("update-prompt", &l.inbox.stack.app, request).await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert!(edited.body.get("versionSnapshot").is_none(), "no version was captured: {}", edited.body);
}

fn system_prompt_of(request: &wiremock::Request) -> String {
    let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
    body["messages"][0]["content"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn an_edit_changes_the_next_reply_without_waiting_for_a_version() {
    let l = agent_loop().await;
    l.mount_ok("ok").await;
    let prompt = prompt_id(&l).await;
    edit(&l, &prompt, json!({"prompt": "You are the leasing assistant of Maple Court."})).await;

    l.inbox.deliver(&meta_payload("text")).await;
    l.run_worker().await;

    let calls = l.llm_calls().await;
    assert_eq!(system_prompt_of(&calls[0]), "You are the leasing assistant of Maple Court.");
    let reply = &l.inbox.messages().await[0];
    assert!(reply["promptUsed"]["workingCopy"].as_u64().is_some(), "the reply names the text it used: {reply}");
}

#[tokio::test]
async fn a_pinned_agent_keeps_its_version_whatever_the_edits() {
    let l = agent_loop().await;
    l.mount_ok("ok").await;
    let prompt = prompt_id(&l).await;
    let pin = ApiCall::fixture("update-agent")
        .key(&l.inbox.key)
        .path_param("id", &l.inbox.agent)
        .json(json!({"promptVersion": 1}));
    assert_eq!(call("update-agent", &l.inbox.stack.app, pin).await.status, 200);
    edit(&l, &prompt, json!({"prompt": "Something else entirely."})).await;

    l.inbox.deliver(&meta_payload("text")).await;
    l.run_worker().await;

    let calls = l.llm_calls().await;
    assert_eq!(system_prompt_of(&calls[0]), "You are helpful.");
    assert_eq!(l.inbox.messages().await[0]["promptUsed"], json!({"version": 1}));
}
