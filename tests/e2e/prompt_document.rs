//! The leasing seed's prompt document in full: `isHidden`, `userId`, the snapshot's label, title,
//! description, source and preview, manual saves, `null` clearing a field, and tool entries kept
//! with every key a client sent.

use colloquy_domain::model::Role;
use colloquy_tests::{call, Answer, ApiCall, TestStack};
use serde_json::json;

use crate::prompts::{create, prompt_id, update};

async fn save_version(stack: &TestStack, key: &str, id: &str, body: Option<serde_json::Value>) -> Answer {
    let mut request = ApiCall::fixture("save-prompt-version").key(key).path_param("promptId", id);
    request = match body {
        Some(body) => request.json(body),
        None => request.body(""),
    };
    call("save-prompt-version", &stack.app, request).await
}

async fn list(stack: &TestStack, key: &str, include_hidden: Option<&str>) -> Vec<String> {
    let mut request = ApiCall::fixture("list-prompts").key(key).query("limit", "100");
    if let Some(flag) = include_hidden {
        request = request.query("includeHidden", flag);
    }
    let listed = call("list-prompts", &stack.app, request).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let results = listed.body["results"].as_array().cloned().unwrap_or_default();
    results.iter().filter_map(|p| p["name"].as_str().map(str::to_owned)).collect()
}

#[tokio::test]
async fn hidden_prompts_are_listed_only_when_asked_and_user_id_names_the_last_editor() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Leasing").await;
    let writer = stack.key(&admin, Role::Write).await;
    create(&stack, &admin.plaintext, "maple-court", "Be kind.").await;
    create(&stack, &admin.plaintext, "old-draft", "Be brief.").await;
    let id = prompt_id(&stack, &admin.plaintext, "old-draft").await;

    let hidden = update(&stack, &writer, &id, json!({"isHidden": true})).await;
    assert_eq!(hidden.status, 200, "{}", hidden.body);
    assert_eq!(hidden.body["prompt"]["isHidden"], true);
    let writer_prefix = writer.split('_').take(2).collect::<Vec<_>>().join("_");
    assert_eq!(hidden.body["prompt"]["userId"], json!(writer_prefix), "the key that edited it, by its prefix");

    assert_eq!(list(&stack, &admin.plaintext, None).await, vec!["maple-court"]);
    assert_eq!(list(&stack, &admin.plaintext, Some("false")).await, vec!["maple-court"]);
    assert_eq!(list(&stack, &admin.plaintext, Some("true")).await, vec!["maple-court", "old-draft"]);
    let invalid = call(
        "list-prompts",
        &stack.app,
        ApiCall::fixture("list-prompts").key(&admin.plaintext).query("includeHidden", "yes"),
    )
    .await;
    assert_eq!((invalid.status, invalid.error_field()), (400, Some("includeHidden")));

    let shown = update(&stack, &admin.plaintext, &id, json!({"isHidden": false})).await;
    assert_eq!(shown.body["prompt"]["isHidden"], false);
    assert_eq!(list(&stack, &admin.plaintext, None).await.len(), 2);
}

#[tokio::test]
async fn null_clears_an_optional_field_and_absent_leaves_it() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Leasing").await;
    create(&stack, &admin.plaintext, "maple-court", "Be kind.").await;
    let id = prompt_id(&stack, &admin.plaintext, "maple-court").await;

    let set = update(
        &stack,
        &admin.plaintext,
        &id,
        json!({"description": "Tour follow-ups", "temperature": 0.4, "responseTime": 30, "toolConfigs": {"book_tour": {"requireApproval": true}}}),
    )
    .await;
    assert_eq!(set.status, 200, "{}", set.body);
    let kept = update(&stack, &admin.plaintext, &id, json!({"name": "maple-court-2"})).await;
    assert_eq!(kept.body["prompt"]["description"], "Tour follow-ups", "absent: unchanged");
    assert_eq!(kept.body["prompt"]["temperature"], 0.4);

    let cleared = update(
        &stack,
        &admin.plaintext,
        &id,
        json!({"description": null, "temperature": null, "responseTime": null, "toolConfigs": null}),
    )
    .await;
    assert_eq!(cleared.status, 200, "{}", cleared.body);
    let prompt = &cleared.body["prompt"];
    assert!(prompt["description"].is_null() && prompt["temperature"].is_null(), "{prompt}");
    assert!(prompt["responseTime"].is_null(), "{prompt}");
    assert_eq!(prompt["toolConfigs"], json!({}));
    let read = call(
        "get-prompt",
        &stack.app,
        ApiCall::fixture("get-prompt").key(&admin.plaintext).path_param("promptId", &id),
    )
    .await;
    assert!(read.body["description"].is_null(), "stored cleared: {}", read.body);
}

#[tokio::test]
async fn tool_entries_keep_every_key_the_client_sent() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Leasing").await;
    create(&stack, &admin.plaintext, "maple-court", "Be kind.").await;
    let id = prompt_id(&stack, &admin.plaintext, "maple-court").await;
    // `getContact` is a built-in: only `book_tour` is the workspace's own.
    for name in ["book_tour"] {
        let tool = json!({"name": name, "description": "A tool.", "url": "https://tools.example.com/t"});
        assert_eq!(crate::tools::create(&stack, &admin.plaintext, tool).await.status, 201);
    }
    let tools = json!([
        {"name": "book_tour", "label": "Book a tour", "config": {"propertyId": "MC-1", "slots": [9, 11]}, "M": "not a DynamoDB type"},
        {"name": "getContact"}
    ]);

    let updated = update(&stack, &admin.plaintext, &id, json!({"tools": tools})).await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(updated.body["prompt"]["tools"], tools);
    let read = call(
        "get-prompt",
        &stack.app,
        ApiCall::fixture("get-prompt").key(&admin.plaintext).path_param("promptId", &id),
    )
    .await;
    assert_eq!(read.body["tools"], tools, "stored as sent");
    let cleared = update(&stack, &admin.plaintext, &id, json!({"tools": null})).await;
    assert_eq!(cleared.body["prompt"]["tools"], json!([]));
}

#[tokio::test]
async fn a_manual_save_captures_the_working_copy_with_its_notes() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Leasing").await;
    let reader = stack.key(&admin, Role::Read).await;
    create(&stack, &admin.plaintext, "maple-court", "<prompt><role>Leasing assistant</role></prompt>").await;
    let id = prompt_id(&stack, &admin.plaintext, "maple-court").await;
    let edited = update(
        &stack,
        &admin.plaintext,
        &id,
        json!({"prompt": "<prompt><role>Friendly leasing assistant</role></prompt>"}),
    )
    .await;
    assert!(edited.body.get("versionSnapshot").is_none(), "too soon for a checkpoint: {}", edited.body);

    let notes =
        json!({"label": "Friendlier tone", "title": "Tone update", "description": "Softened the opening line."});
    let saved = save_version(&stack, &admin.plaintext, &id, Some(notes)).await;
    assert_eq!(saved.status, 201, "{}", saved.body);
    let snapshot = &saved.body;
    assert_eq!(snapshot["version"], 2);
    assert_eq!(snapshot["displayVersion"], "v1.1");
    assert_eq!(
        (snapshot["label"].as_str(), snapshot["title"].as_str()),
        (Some("Friendlier tone"), Some("Tone update"))
    );
    assert_eq!(snapshot["description"], "Softened the opening line.");
    assert_eq!(snapshot["source"], "manual_save");
    assert_eq!(snapshot["matchesCurrentPrompt"], true);
    assert_eq!(snapshot["preview"], "<prompt><role>Friendly leasing assistant</role></prompt>");

    let read = call(
        "get-prompt",
        &stack.app,
        ApiCall::fixture("get-prompt").key(&admin.plaintext).path_param("promptId", &id),
    )
    .await;
    assert_eq!((read.body["version"].as_u64(), read.body["hasUnsavedChanges"].as_bool()), (Some(2), Some(false)));

    let bare = save_version(&stack, &admin.plaintext, &id, None).await;
    assert_eq!((bare.status, bare.body["version"].as_u64()), (201, Some(3)), "{}", bare.body);
    assert!(bare.body["label"].is_null() && bare.body["title"].is_null(), "{}", bare.body);

    let listed = call(
        "list-prompt-versions",
        &stack.app,
        ApiCall::fixture("list-prompt-versions").key(&admin.plaintext).path_param("promptId", &id),
    )
    .await;
    let sources: Vec<&str> =
        listed.body["results"].as_array().into_iter().flatten().filter_map(|v| v["source"].as_str()).collect();
    assert_eq!(sources, vec!["manual_save", "manual_save", "create"]);

    let too_long = save_version(&stack, &admin.plaintext, &id, Some(json!({"label": "x".repeat(201)}))).await;
    assert_eq!((too_long.status, too_long.error_field()), (400, Some("label")));
    assert_eq!(save_version(&stack, &reader, &id, None).await.status, 403);
    let other = stack.workspace("Other").await;
    assert_eq!(save_version(&stack, &other.plaintext, &id, None).await.status, 404);
}
