//! Agents: created from a prompt of the workspace, changed field by field, tenant-checked.

use colloquy_tests::{call, Answer, ApiCall, TestStack};
use serde_json::{json, Value};

use crate::prompts::{create as create_prompt_version, prompt_id};

pub async fn create(stack: &TestStack, key: &str, body: Value) -> Answer {
    call("create-agent", &stack.app, ApiCall::fixture("create-agent").key(key).json(body)).await
}

/// A prompt and an agent on it; returns the agent's id.
pub async fn agent_for(stack: &TestStack, key: &str) -> String {
    create_prompt_version(stack, key, "support", "You are helpful.").await;
    let prompt = prompt_id(stack, key, "support").await;
    let answer = create(
        stack,
        key,
        // Answers at once: the quiet period has tests of its own.
        json!({"name": "Support", "promptId": prompt, "model": {"provider": "openai", "name": "gpt-4o-mini"}, "replyDelaySeconds": 0}),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    answer.body["id"].as_str().unwrap_or_default().to_owned()
}

async fn patch(stack: &TestStack, key: &str, id: &str, body: Value) -> Answer {
    call("update-agent", &stack.app, ApiCall::fixture("update-agent").key(key).path_param("id", id).json(body)).await
}

async fn get(stack: &TestStack, key: &str, id: &str) -> Answer {
    call("get-agent", &stack.app, ApiCall::fixture("get-agent").key(key).path_param("id", id)).await
}

#[tokio::test]
async fn an_agent_is_created_from_the_fixture_and_changed_field_by_field() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    create_prompt_version(&stack, &admin.plaintext, "leasing", "v1").await;
    create_prompt_version(&stack, &admin.plaintext, "leasing", "v2").await;
    let prompt = prompt_id(&stack, &admin.plaintext, "leasing").await;
    let mut body = ApiCall::fixture("create-agent").body_json();
    body["promptId"] = json!(prompt);

    let created = create(&stack, &admin.plaintext, body).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(
        created.body["model"],
        json!({"provider": "openai", "name": "gpt-4o-mini", "temperature": 0.4, "maxTokens": 512})
    );
    assert_eq!(created.body["promptVersion"], Value::Null, "follows the latest");
    assert_eq!(created.body["followUp"]["template"]["name"], "tour_reminder");
    let id = created.body["id"].as_str().unwrap_or_default().to_owned();

    let pinned = patch(&stack, &admin.plaintext, &id, json!({"promptVersion": 1, "name": "Pinned"})).await;
    assert_eq!((pinned.status, pinned.body["promptVersion"].as_u64()), (200, Some(1)), "{}", pinned.body);
    assert_eq!(pinned.body["firstMessage"], created.body["firstMessage"], "absent fields stay");
    let latest = patch(&stack, &admin.plaintext, &id, json!({"promptVersion": null, "followUp": null})).await;
    assert_eq!((latest.body["promptVersion"].clone(), latest.body["followUp"].clone()), (Value::Null, Value::Null));
    assert_eq!(get(&stack, &admin.plaintext, &id).await.body["name"], "Pinned");

    let listed = call("list-agents", &stack.app, ApiCall::fixture("list-agents").key(&admin.plaintext)).await;
    assert_eq!(listed.body["count"], 1);
    let deleted =
        call("delete-agent", &stack.app, ApiCall::fixture("delete-agent").key(&admin.plaintext).path_param("id", &id))
            .await;
    assert_eq!(deleted.status, 204);
    assert_eq!(get(&stack, &admin.plaintext, &id).await.status, 404);
}

#[tokio::test]
async fn bad_agents_are_400_naming_the_field() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    let stranger = stack.workspace("Stranger").await;
    create_prompt_version(&stack, &admin.plaintext, "mine", "x").await;
    let mine = prompt_id(&stack, &admin.plaintext, "mine").await;
    create_prompt_version(&stack, &stranger.plaintext, "theirs", "x").await;
    let theirs = prompt_id(&stack, &stranger.plaintext, "theirs").await;
    let model = json!({"provider": "openai", "name": "m"});
    let cases = [
        (json!({"name": "a", "promptId": theirs, "model": model}), "promptId"),
        (json!({"name": "a", "promptId": mine, "promptVersion": 7, "model": model}), "promptVersion"),
        (json!({"name": "a", "promptId": mine, "model": {"provider": "gemini", "name": "m"}}), "model.provider"),
        (
            json!({"name": "a", "promptId": mine, "model": {"provider": "openai", "name": "m", "temperature": 3}}),
            "model.temperature",
        ),
        (
            json!({"name": "a", "promptId": mine, "model": {"provider": "openai", "name": "m", "maxTokens": 0}}),
            "model.maxTokens",
        ),
        (json!({"name": "", "promptId": mine, "model": model}), "name"),
        (json!({"name": "a", "model": model}), "promptId"),
        (
            json!({"name": "a", "promptId": mine, "model": model, "followUp": {"afterMinutes": 0, "maxAttempts": 1, "instruction": "x"}}),
            "followUp.afterMinutes",
        ),
        (
            json!({"name": "a", "promptId": mine, "model": model, "followUp": {"afterMinutes": 5, "maxAttempts": 1, "instruction": "x", "template": {"variables": {}}}}),
            "followUp.template.name",
        ),
    ];
    for (body, field) in cases {
        let answer = create(&stack, &admin.plaintext, body.clone()).await;
        assert_eq!((answer.status, answer.error_field()), (400, Some(field)), "{body} answered {}", answer.body);
    }
}

#[tokio::test]
async fn another_workspace_s_agent_is_404_and_read_keys_cannot_change_agents() {
    let stack = TestStack::new().await;
    let owner = stack.workspace("Owner").await;
    let stranger = stack.workspace("Stranger").await;
    let id = agent_for(&stack, &owner.plaintext).await;

    assert_eq!(get(&stack, &stranger.plaintext, &id).await.status, 404);
    assert_eq!(patch(&stack, &stranger.plaintext, &id, json!({"name": "mine now"})).await.status, 404);
    let deleted = call(
        "delete-agent",
        &stack.app,
        ApiCall::fixture("delete-agent").key(&stranger.plaintext).path_param("id", &id),
    )
    .await;
    assert_eq!(deleted.status, 404);

    let reader = stack.key(&owner, colloquy_domain::model::Role::Read).await;
    assert_eq!(patch(&stack, &reader, &id, json!({"name": "x"})).await.status, 403);
    assert_eq!(get(&stack, &owner.plaintext, &id).await.body["name"], "Support", "nothing changed");
}
