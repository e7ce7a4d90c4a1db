//! Labels on a prompt's versions: an agent that follows a label answers with the version it
//! points at, and moving the label moves the agent; every move is kept on the prompt and in the
//! audit log, with who moved it from where; labels show on versions in both seed shapes.

use colloquy_domain::model::Role;
use colloquy_functions::worker::Worker;
use colloquy_tests::{call, meta_payload, Answer, ApiCall};
use serde_json::{json, Value};

use crate::agent_loop::{agent_loop, Loop};
use crate::prompts::{create, prompt_id};

async fn move_label(l: &Loop, key: &str, prompt: &str, label: &str, body: Value) -> Answer {
    let request = ApiCall::fixture("move-prompt-label")
        .key(key)
        .path_param("promptId", prompt)
        .path_param("label", label)
        .json(body);
    call("move-prompt-label", &l.inbox.stack.app, request).await
}

async fn remove_label(l: &Loop, prompt: &str, label: &str) -> Answer {
    let request = ApiCall::fixture("remove-prompt-label")
        .key(&l.inbox.key)
        .path_param("promptId", prompt)
        .path_param("label", label);
    call("remove-prompt-label", &l.inbox.stack.app, request).await
}

async fn labels(l: &Loop, prompt: &str) -> Value {
    let request = ApiCall::fixture("list-prompt-labels").key(&l.inbox.key).path_param("promptId", prompt);
    let listed = call("list-prompt-labels", &l.inbox.stack.app, request).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    listed.body
}

async fn patch_agent(l: &Loop, body: Value) -> Answer {
    let request = ApiCall::fixture("update-agent").key(&l.inbox.key).path_param("id", &l.inbox.agent).json(body);
    call("update-agent", &l.inbox.stack.app, request).await
}

/// The loop's prompt ("support") gets a second version; its id.
async fn two_versions(l: &Loop) -> String {
    let stack = &l.inbox.stack;
    assert_eq!(create(stack, &l.inbox.key, "support", "You are v2.").await.status, 201);
    prompt_id(stack, &l.inbox.key, "support").await
}

fn system_prompts(requests: &[wiremock::Request]) -> Vec<String> {
    requests
        .iter()
        .filter_map(|r| serde_json::from_slice::<Value>(&r.body).ok())
        .map(|b| b["messages"][0]["content"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn moving_a_label_moves_every_agent_that_follows_it() {
    let l = agent_loop().await;
    l.mount_ok("ok").await;
    let prompt = two_versions(&l).await;
    let early = patch_agent(&l, json!({"promptLabel": "production"})).await;
    assert_eq!((early.status, early.error_field()), (400, Some("promptLabel")), "no such label yet: {}", early.body);

    let created = move_label(&l, &l.inbox.key, &prompt, "production", json!({"version": 1})).await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!((&created.body["version"], &created.body["previousVersion"]), (&json!(1), &Value::Null));
    let follows = patch_agent(&l, json!({"promptLabel": "production"})).await;
    assert_eq!((&follows.body["promptLabel"], &follows.body["promptVersion"]), (&json!("production"), &Value::Null));
    l.inbox.deliver(&meta_payload("text")).await;
    l.run_worker().await;

    let moved = move_label(&l, &l.inbox.key, &prompt, "production", json!({"version": 2})).await;
    assert_eq!((&moved.body["version"], &moved.body["previousVersion"]), (&json!(2), &json!(1)), "{}", moved.body);
    // A container started after the move (a warm one re-reads the prompt within a minute).
    let fresh = Worker::new(l.inbox.stack.app.clone());
    let second = meta_payload("text").replace("wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBDMEY0", "wamid.SECOND");
    l.inbox.deliver(&second).await;
    l.source.drain(&fresh, 20).await.expect("worker runs");

    assert_eq!(system_prompts(&l.llm_calls().await), vec!["You are helpful.", "You are v2."]);
    let used: Vec<Value> = l.inbox.messages().await.iter().map(|m| m["promptUsed"].clone()).collect();
    assert!(used.contains(&json!({"version": 1})) && used.contains(&json!({"version": 2})), "{used:?}");
}

#[tokio::test]
async fn every_move_is_recorded_with_who_moved_it_from_where() {
    let l = agent_loop().await;
    let prompt = two_versions(&l).await;
    move_label(&l, &l.inbox.key, &prompt, "production", json!({"version": 1})).await;
    move_label(&l, &l.inbox.key, &prompt, "production", json!({"version": 2})).await;
    move_label(&l, &l.inbox.key, &prompt, "staging", json!({"version": 2})).await;
    assert_eq!(remove_label(&l, &prompt, "staging").await.status, 204);

    let listed = labels(&l, &prompt).await;
    assert_eq!(listed["labels"].as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!((&listed["labels"][0]["name"], &listed["labels"][0]["version"]), (&json!("production"), &json!(2)));
    let moves: Vec<(Value, Value, Value)> = listed["moves"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| (m["label"].clone(), m["from"].clone(), m["to"].clone()))
        .collect();
    assert_eq!(
        moves,
        vec![
            (json!("staging"), json!(2), Value::Null),
            (json!("staging"), Value::Null, json!(2)),
            (json!("production"), json!(1), json!(2)),
            (json!("production"), Value::Null, json!(1)),
        ],
        "newest first"
    );
    let audit = call("list-audit-log", &l.inbox.stack.app, ApiCall::fixture("list-audit-log").key(&l.inbox.key)).await;
    let prefix = audit.body["results"][0]["keyPrefix"].clone();
    assert!(prefix.as_str().is_some_and(|p| !p.is_empty() && l.inbox.key.starts_with(p)), "{}", audit.body);
    assert!(listed["moves"].as_array().into_iter().flatten().all(|m| m["by"] == prefix), "{listed}");
    let entries: Vec<(Value, Value)> = audit.body["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["action"].as_str().is_some_and(|a| a.starts_with("prompt_label.")))
        .map(|e| (e["action"].clone(), e["target"].clone()))
        .collect();
    assert_eq!(entries.len(), 4, "{}", audit.body);
    assert!(entries.contains(&(json!("prompt_label.removed"), json!(format!("{prompt} staging")))), "{entries:?}");
}

#[tokio::test]
async fn a_followed_label_cannot_be_removed_and_a_version_and_a_label_do_not_mix() {
    let l = agent_loop().await;
    let prompt = two_versions(&l).await;
    move_label(&l, &l.inbox.key, &prompt, "production", json!({"version": 1})).await;
    assert_eq!(patch_agent(&l, json!({"promptLabel": "production"})).await.status, 200);

    let refused = remove_label(&l, &prompt, "production").await;
    let both = patch_agent(&l, json!({"promptLabel": "production", "promptVersion": 2})).await;
    let pinned = patch_agent(&l, json!({"promptVersion": 2})).await;
    let removed = remove_label(&l, &prompt, "production").await;

    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(refused.body["error"]["message"].as_str().unwrap_or_default().contains("Support"), "{}", refused.body);
    assert_eq!((both.status, both.error_field()), (400, Some("promptLabel")), "{}", both.body);
    assert_eq!((&pinned.body["promptVersion"], &pinned.body["promptLabel"]), (&json!(2), &Value::Null));
    assert_eq!(removed.status, 204, "{}", removed.body);
    assert_eq!(remove_label(&l, &prompt, "production").await.status, 404);
}

#[tokio::test]
async fn labels_show_on_versions_in_both_shapes_and_eigi_reads_by_label() {
    let l = agent_loop().await;
    let prompt = two_versions(&l).await;
    move_label(&l, &l.inbox.key, &prompt, "production", json!({"version": 1})).await;
    move_label(&l, &l.inbox.key, &prompt, "staging", json!({"version": 2})).await;
    let app = &l.inbox.stack.app;

    let document =
        call("get-prompt", app, ApiCall::fixture("get-prompt").key(&l.inbox.key).path_param("promptId", &prompt)).await;
    let versions = call(
        "list-prompt-versions",
        app,
        ApiCall::fixture("list-prompt-versions").key(&l.inbox.key).path_param("promptId", &prompt),
    )
    .await;
    let by_label = call(
        "get-public-prompt",
        app,
        ApiCall::fixture("get-public-prompt")
            .key(&l.inbox.key)
            .path_param("prompt_name", "support")
            .query("label", "production"),
    )
    .await;
    let no_label = call(
        "get-public-prompt",
        app,
        ApiCall::fixture("get-public-prompt")
            .key(&l.inbox.key)
            .path_param("prompt_name", "support")
            .query("label", "canary"),
    )
    .await;

    assert_eq!(document.body["labels"], json!({"production": 1, "staging": 2}));
    let listed: Vec<(Value, Value)> = versions.body["results"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| (v["version"].clone(), v["labels"].clone()))
        .collect();
    assert_eq!(listed, vec![(json!(2), json!(["staging"])), (json!(1), json!(["production"]))]);
    assert_eq!(
        (&by_label.body["prompt_version"], &by_label.body["prompt_content"], &by_label.body["labels"]),
        (&json!(1), &json!("You are helpful."), &json!(["production"]))
    );
    assert_eq!(no_label.status, 404);
}

#[tokio::test]
async fn labels_are_the_workspaces_own_and_checked() {
    let l = agent_loop().await;
    let prompt = two_versions(&l).await;
    let stack = &l.inbox.stack;
    let stranger = stack.workspace("Globex").await;
    let reader = stack.key_for(&l.inbox.key, Role::Read).await;
    let theirs = move_label(&l, &stranger.plaintext, &prompt, "production", json!({"version": 1})).await;
    let read_only = move_label(&l, &reader, &prompt, "production", json!({"version": 1})).await;
    let no_version = move_label(&l, &l.inbox.key, &prompt, "production", json!({"version": 9})).await;
    let reserved = move_label(&l, &l.inbox.key, &prompt, "latest", json!({"version": 1})).await;
    let shouting = move_label(&l, &l.inbox.key, &prompt, "PRODUCTION", json!({"version": 1})).await;
    let zero = move_label(&l, &l.inbox.key, &prompt, "production", json!({"version": 0})).await;

    assert_eq!(theirs.status, 404, "{}", theirs.body);
    assert_eq!(read_only.status, 403);
    assert_eq!(no_version.status, 404, "{}", no_version.body);
    assert_eq!((reserved.status, reserved.error_field()), (400, Some("label")));
    assert_eq!((shouting.status, shouting.error_field()), (400, Some("label")));
    assert_eq!((zero.status, zero.error_field()), (400, Some("version")));
    assert_eq!(labels(&l, &prompt).await["moves"], json!([]), "nothing was moved");
}

#[tokio::test]
async fn concurrent_moves_of_different_labels_both_land() {
    let l = agent_loop().await;
    let prompt = two_versions(&l).await;

    let (a, b) = tokio::join!(
        move_label(&l, &l.inbox.key, &prompt, "production", json!({"version": 1})),
        move_label(&l, &l.inbox.key, &prompt, "staging", json!({"version": 2})),
    );

    assert_eq!((a.status, b.status), (200, 200));
    let listed = labels(&l, &prompt).await;
    assert_eq!(listed["labels"].as_array().map(Vec::len), Some(2), "{listed}");
    assert_eq!(listed["moves"].as_array().map(Vec::len), Some(2), "{listed}");
}

#[tokio::test]
async fn a_label_that_requires_a_suite_moves_only_to_a_version_with_a_passing_run() {
    let l = agent_loop().await;
    let prompt = two_versions(&l).await;
    let stack = &l.inbox.stack;
    let suite = call(
        "create-test-suite",
        &stack.app,
        ApiCall::fixture("create-test-suite").key(&l.inbox.key).json(ApiCall::fixture("create-test-suite").body_json()),
    )
    .await;
    let suite = suite.body["id"].as_str().unwrap_or_default().to_owned();
    let workspace = stack.app_workspace(&l.inbox.key).await;
    let passed = |version: u32| {
        let (store, workspace, suite, prompt) = (stack.store.clone(), workspace.clone(), suite.clone(), prompt.clone());
        async move {
            let run = colloquy_domain::model::TestRunId::generate();
            colloquy_domain::ports::TestSuiteStore::record_passing_run(
                store.as_ref(),
                &workspace,
                &suite.as_str().into(),
                &prompt.as_str().into(),
                version,
                &run,
            )
            .await
            .expect("recorded");
        }
    };

    let unknown =
        move_label(&l, &l.inbox.key, &prompt, "production", json!({"version": 1, "requiresSuite": "nope"})).await;
    let untested =
        move_label(&l, &l.inbox.key, &prompt, "production", json!({"version": 1, "requiresSuite": suite})).await;
    passed(1).await;
    let tested =
        move_label(&l, &l.inbox.key, &prompt, "production", json!({"version": 1, "requiresSuite": suite})).await;
    let still_gated = move_label(&l, &l.inbox.key, &prompt, "production", json!({"version": 2})).await;
    passed(2).await;
    let promoted = move_label(&l, &l.inbox.key, &prompt, "production", json!({"version": 2})).await;
    let ungated =
        move_label(&l, &l.inbox.key, &prompt, "production", json!({"version": 1, "requiresSuite": null})).await;

    assert_eq!((unknown.status, unknown.error_field()), (400, Some("requiresSuite")), "{}", unknown.body);
    assert_eq!(untested.status, 409, "{}", untested.body);
    let why = untested.body["error"]["message"].as_str().unwrap_or_default();
    assert!(why.contains("Leasing basics") && why.contains(&suite) && why.contains("version 1"), "{why}");
    assert_eq!((tested.status, &tested.body["requiresSuite"]), (200, &json!(suite)), "{}", tested.body);
    assert_eq!(still_gated.status, 409, "the requirement stays with the label: {}", still_gated.body);
    assert_eq!((promoted.status, &promoted.body["previousVersion"]), (200, &json!(1)));
    assert_eq!((ungated.status, &ungated.body["requiresSuite"]), (200, &Value::Null));
    let moves = labels(&l, &prompt).await["moves"].as_array().map(Vec::len);
    assert_eq!(moves, Some(3), "refusals move nothing");
}
