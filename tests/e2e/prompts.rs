//! Versioned prompts: eigi's create-or-version, leasing's update with checkpoints, restore, and
//! tenancy, through the handlers against moto.

use colloquy_domain::model::Role;
use colloquy_tests::{call, Answer, ApiCall, TestStack};
use serde_json::{json, Value};
use time::Duration;

pub async fn create(stack: &TestStack, key: &str, name: &str, content: &str) -> Answer {
    let body = json!({"prompt_name": name, "prompt_content": content, "prompt_metadata": {"prompt_type": "main"}});
    call("create-prompt", &stack.app, ApiCall::fixture("create-prompt").key(key).json(body)).await
}

/// The prompt's id, found through the list (eigi's response carries the name, not the id).
pub async fn prompt_id(stack: &TestStack, key: &str, name: &str) -> String {
    let listed = call("list-prompts", &stack.app, ApiCall::fixture("list-prompts").key(key).query("name", name)).await;
    let results = listed.body["results"].as_array().cloned().unwrap_or_default();
    let found =
        results.iter().find(|p| p["name"] == name).unwrap_or_else(|| panic!("{name} is listed: {}", listed.body));
    found["_id"].as_str().unwrap_or_default().to_owned()
}

pub async fn update(stack: &TestStack, key: &str, id: &str, body: Value) -> Answer {
    call("update-prompt", &stack.app, ApiCall::fixture("update-prompt").key(key).path_param("promptId", id).json(body))
        .await
}

async fn by_name(stack: &TestStack, key: &str, name: &str, version: Option<&str>) -> Answer {
    let mut request = ApiCall::fixture("get-public-prompt").key(key).path_param("prompt_name", name);
    if let Some(version) = version {
        request = request.query("version", version);
    }
    call("get-public-prompt", &stack.app, request).await
}

async fn versions(stack: &TestStack, key: &str, id: &str) -> Answer {
    call(
        "list-prompt-versions",
        &stack.app,
        ApiCall::fixture("list-prompt-versions").key(key).path_param("promptId", id).query("limit", "100"),
    )
    .await
}

async fn restore(stack: &TestStack, key: &str, id: &str, version: &str) -> Answer {
    let request =
        ApiCall::fixture("restore-prompt-version").key(key).path_param("promptId", id).path_param("version", version);
    call("restore-prompt-version", &stack.app, request).await
}

async fn version(stack: &TestStack, key: &str, id: &str, number: &str) -> Answer {
    let request =
        ApiCall::fixture("get-prompt-version").key(key).path_param("promptId", id).path_param("version", number);
    call("get-prompt-version", &stack.app, request).await
}

fn iso(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|text| time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).is_ok())
}

#[tokio::test]
async fn a_new_name_starts_at_version_1_and_an_existing_name_gets_the_next() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;

    let first = create(&stack, &admin.plaintext, "customer_support_v1", "Be polite.").await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.body["prompt_name"], "customer_support_v1");
    assert_eq!(first.body["prompt_version"], 1);
    assert_eq!(first.body["prompt_content"], "Be polite.");
    assert_eq!(first.body["prompt_metadata"], json!({"prompt_type": "main"}));
    assert!(iso(&first.body["created_at"]) && iso(&first.body["updated_at"]), "{}", first.body);

    let second = create(&stack, &admin.plaintext, "customer_support_v1", "Be polite and brief.").await;
    assert_eq!(second.status, 201);
    assert_eq!(second.body["prompt_version"], 2);
    assert_eq!(second.body["created_at"], first.body["created_at"], "same prompt, same creation time");

    let latest = by_name(&stack, &admin.plaintext, "customer_support_v1", None).await;
    assert_eq!((latest.status, latest.body["prompt_version"].as_u64()), (200, Some(2)));
    assert_eq!(latest.body["prompt_content"], "Be polite and brief.");
    let old = by_name(&stack, &admin.plaintext, "customer_support_v1", Some("1")).await;
    assert_eq!(old.body["prompt_content"], "Be polite.");
    assert_eq!(by_name(&stack, &admin.plaintext, "customer_support_v1", Some("3")).await.status, 404);
    assert_eq!(
        by_name(&stack, &admin.plaintext, "customer_support_v1", Some("abc")).await.error_field(),
        Some("version")
    );
    assert_eq!(by_name(&stack, &admin.plaintext, "nobody", None).await.status, 404);
}

#[tokio::test]
async fn concurrent_creates_of_one_name_get_consecutive_versions_and_overwrite_nothing() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    let writers = 8;

    let tasks: Vec<_> = (0..writers)
        .map(|n| {
            let (app, key) = (stack.app.clone(), admin.plaintext.clone());
            tokio::spawn(async move {
                let body = json!({"prompt_name": "support", "prompt_content": format!("content from writer {n}")});
                call("create-prompt", &app, ApiCall::fixture("create-prompt").key(&key).json(body)).await
            })
        })
        .collect();
    let mut numbers = Vec::new();
    for task in tasks {
        let answer = task.await.expect("task");
        assert_eq!(answer.status, 201, "{}", answer.body);
        numbers.push((answer.body["prompt_version"].as_u64().unwrap_or(0), answer.body["prompt_content"].clone()));
    }
    let mut versions_seen: Vec<u64> = numbers.iter().map(|(n, _)| *n).collect();
    versions_seen.sort();
    assert_eq!(versions_seen, (1..=writers).collect::<Vec<_>>(), "distinct, consecutive versions");

    for (number, content) in &numbers {
        let stored = by_name(&stack, &admin.plaintext, "support", Some(&number.to_string())).await;
        assert_eq!(&stored.body["prompt_content"], content, "version {number} holds its own writer's content");
    }
}

#[tokio::test]
async fn an_update_captures_a_version_only_when_the_text_changed_and_a_checkpoint_is_due() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    create(&stack, &admin.plaintext, "leasing", "<prompt>v1</prompt>").await;
    let id = prompt_id(&stack, &admin.plaintext, "leasing").await;
    // The seed's prompt names the tool `book_tour`: the workspace must have it.
    let tool = json!({"name": "book_tour", "description": "Books a tour.", "url": "https://tools.example.com/tours"});
    assert_eq!(crate::tools::create(&stack, &admin.plaintext, tool).await.status, 201);

    let seed_body = ApiCall::fixture("update-prompt").body_json();
    let soon = update(&stack, &admin.plaintext, &id, seed_body).await;
    assert_eq!(soon.status, 200, "{}", soon.body);
    assert_eq!(soon.body["message"], "Prompt updated successfully");
    assert_eq!(soon.body["prompt"]["name"], "Leasing follow-up assistant (v2)");
    assert_eq!(soon.body["prompt"]["temperature"], 0.6);
    assert_eq!(soon.body["prompt"]["responseTime"], 30.0);
    assert_eq!(soon.body["prompt"]["tools"], json!([{"name": "book_tour"}]));
    assert_eq!(soon.body["prompt"]["toolConfigs"], json!({"book_tour": {"requireApproval": true}}));
    assert!(iso(&soon.body["prompt"]["lastEditedAt"]));
    assert!(soon.body.get("versionSnapshot").is_none(), "no checkpoint due a moment after version 1: {}", soon.body);

    stack.clock.advance(Duration::minutes(10));
    let due = update(&stack, &admin.plaintext, &id, json!({"prompt": "<prompt>v2</prompt>"})).await;
    let snapshot = &due.body["versionSnapshot"];
    assert_eq!(snapshot["version"], 2, "{}", due.body);
    assert_eq!(snapshot["displayVersion"], "v1.1");
    assert_eq!(snapshot["source"], "autosave");
    assert_eq!(snapshot["matchesCurrentPrompt"], true);
    assert_eq!(snapshot["preview"], "<prompt>v2</prompt>");
    assert!(snapshot["_id"].is_string() && iso(&snapshot["createdAt"]));
    assert_eq!((snapshot["label"].as_str(), snapshot["title"].as_str()), (Some("Autosave"), Some("Autosaved v1.1")));
    assert_eq!(
        snapshot["description"], "Captured automatically by an update: the text changed 10 minutes after v1.0.",
        "an autosave says why it was captured"
    );

    stack.clock.advance(Duration::minutes(30));
    let settings_only = update(&stack, &admin.plaintext, &id, json!({"temperature": 0.2})).await;
    assert_eq!(settings_only.status, 200);
    assert!(settings_only.body.get("versionSnapshot").is_none(), "the text did not change");
    assert_eq!(settings_only.body["prompt"]["temperature"], 0.2);

    let tiny = update(&stack, &admin.plaintext, &id, json!({"temperature": 2.0e-239, "responseTime": 1.23456})).await;
    assert_eq!(tiny.status, 200, "numbers DynamoDB cannot hold are rounded, not a 500: {}", tiny.body);
    assert_eq!(
        (tiny.body["prompt"]["temperature"].as_f64(), tiny.body["prompt"]["responseTime"].as_f64()),
        (Some(0.0), Some(1.235))
    );
}

#[tokio::test]
async fn restoring_makes_a_new_version_with_the_old_content() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    create(&stack, &admin.plaintext, "p", "first").await;
    create(&stack, &admin.plaintext, "p", "second").await;
    let id = prompt_id(&stack, &admin.plaintext, "p").await;

    let restored = restore(&stack, &admin.plaintext, &id, "1").await;
    assert_eq!(restored.status, 200, "{}", restored.body);
    assert_eq!(restored.body["versionSnapshot"]["version"], 3);
    assert_eq!(restored.body["versionSnapshot"]["source"], "restore");
    assert_eq!(restored.body["prompt"]["prompt"], "first");

    let listed = versions(&stack, &admin.plaintext, &id).await;
    let numbers: Vec<u64> =
        listed.body["results"].as_array().into_iter().flatten().filter_map(|v| v["version"].as_u64()).collect();
    assert_eq!(numbers, vec![3, 2, 1], "newest first, nothing overwritten");
    let matches: Vec<bool> = listed.body["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["matchesCurrentPrompt"].as_bool())
        .collect();
    assert_eq!(matches, vec![true, false, true]);
    let v2 = version(&stack, &admin.plaintext, &id, "2").await;
    assert_eq!((v2.status, v2.body["prompt"].as_str()), (200, Some("second")));
    assert_eq!(restore(&stack, &admin.plaintext, &id, "9").await.status, 404);
}

#[tokio::test]
async fn renaming_to_a_taken_name_is_409_and_a_rename_frees_the_old_name() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    create(&stack, &admin.plaintext, "alpha", "a").await;
    create(&stack, &admin.plaintext, "beta", "b").await;
    let alpha = prompt_id(&stack, &admin.plaintext, "alpha").await;

    let taken = update(&stack, &admin.plaintext, &alpha, json!({"name": "beta"})).await;
    assert_eq!(taken.status, 409, "{}", taken.body);

    let renamed = update(&stack, &admin.plaintext, &alpha, json!({"name": "gamma"})).await;
    assert_eq!(renamed.status, 200);
    let reused = create(&stack, &admin.plaintext, "alpha", "a new prompt").await;
    assert_eq!(reused.body["prompt_version"], 1, "the old name is free again: {}", reused.body);
    assert_eq!(by_name(&stack, &admin.plaintext, "gamma", None).await.body["prompt_content"], "a");
}

#[tokio::test]
async fn another_workspace_s_prompt_is_404_everywhere_and_read_keys_cannot_change_prompts() {
    let stack = TestStack::new().await;
    let owner = stack.workspace("Owner").await;
    let stranger = stack.workspace("Stranger").await;
    create(&stack, &owner.plaintext, "secret", "owner's prompt").await;
    let id = prompt_id(&stack, &owner.plaintext, "secret").await;
    let key = stranger.plaintext.as_str();

    let get = call("get-prompt", &stack.app, ApiCall::fixture("get-prompt").key(key).path_param("promptId", &id)).await;
    let answers = [
        get,
        update(&stack, key, &id, json!({"prompt": "hijacked"})).await,
        versions(&stack, key, &id).await,
        version(&stack, key, &id, "1").await,
        restore(&stack, key, &id, "1").await,
        by_name(&stack, key, "secret", None).await,
    ];
    for answer in &answers {
        assert_eq!(answer.status, 404, "{}", answer.body);
        assert!(!answer.body.to_string().contains("owner's prompt"));
    }
    let listed = call("list-prompts", &stack.app, ApiCall::fixture("list-prompts").key(key)).await;
    assert_eq!(listed.body["count"], 0);

    let reader = stack.key(&owner, Role::Read).await;
    assert_eq!(create(&stack, &reader, "secret", "changed").await.status, 403);
    assert_eq!(update(&stack, &reader, &id, json!({"prompt": "changed"})).await.status, 403);
    assert_eq!(restore(&stack, &reader, &id, "1").await.status, 403);
    let unchanged = by_name(&stack, &reader, "secret", None).await;
    assert_eq!(
        (unchanged.status, unchanged.body["prompt_version"].as_u64()),
        (200, Some(1)),
        "reads are allowed, nothing changed"
    );
    let writer = stack.key(&owner, Role::Write).await;
    assert_eq!(create(&stack, &writer, "secret", "v2").await.status, 201, "write keys may change prompts");
}

#[tokio::test]
async fn prompts_are_listed_filtered_and_paged() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    for name in ["sales-en", "sales-de", "support-en", "sales-fr", "billing"] {
        create(&stack, &admin.plaintext, name, "x").await;
    }
    let mut names = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..5 {
        let mut request =
            ApiCall::fixture("list-prompts").key(&admin.plaintext).query("name", "sales").query("limit", "2");
        if let Some(cursor) = &cursor {
            request = request.query("cursor", cursor);
        }
        let page = call("list-prompts", &stack.app, request).await;
        assert_eq!(page.status, 200, "{}", page.body);
        names.extend(
            page.body["results"].as_array().into_iter().flatten().filter_map(|p| p["name"].as_str().map(str::to_owned)),
        );
        match page.body["next"].as_str() {
            Some(next) => {
                assert!(next.contains("name=sales"), "the filter is kept in next: {next}");
                cursor = next.split("cursor=").nth(1).and_then(|rest| rest.split('&').next()).map(str::to_owned);
            }
            None => break,
        }
    }
    names.sort();
    assert_eq!(names, vec!["sales-de", "sales-en", "sales-fr"]);
}

#[tokio::test]
async fn the_leasing_seed_s_own_example_is_accepted_before_its_tool_exists_and_shows_what_is_unresolved() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    create(&stack, &admin.plaintext, "leasing", "<prompt>v1</prompt>").await;
    let id = prompt_id(&stack, &admin.plaintext, "leasing").await;

    let seed = update(&stack, &admin.plaintext, &id, ApiCall::fixture("update-prompt").body_json()).await;

    assert_eq!(seed.status, 200, "{}", seed.body);
    assert_eq!(seed.body["prompt"]["tools"], json!([{"name": "book_tour"}]));
    assert_eq!(seed.body["prompt"]["unresolvedTools"], json!(["book_tour"]));
    let examples = json!({"tools": [{"name": "getContact"}, {"name": "sendSms"}, {"name": "transfer"}]});
    let keys = update(&stack, &admin.plaintext, &id, examples).await;
    assert_eq!(keys.status, 200, "the seed's example keys: {}", keys.body);
    assert_eq!(keys.body["prompt"]["unresolvedTools"], json!(["sendSms"]), "getContact and transfer are built-ins");
    let agent = json!({"name": "Leasing", "promptId": id, "model": {"provider": "openai", "name": "gpt-4o-mini"}});
    let created =
        call("create-agent", &stack.app, ApiCall::fixture("create-agent").key(&admin.plaintext).json(agent)).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["unresolvedTools"], json!(["sendSms"]), "{}", created.body);
}
