//! Every field limit of the prompt seeds: a 4xx naming the field, nothing stored.

use colloquy_tests::{call, ApiCall, TestStack};
use serde_json::{json, Value};

use crate::prompts::{create, prompt_id, update};

#[tokio::test]
async fn eigi_limits_are_enforced_and_name_the_field() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    let cases: Vec<(Value, &str)> = vec![
        (json!({"prompt_name": "n".repeat(101), "prompt_content": "x"}), "prompt_name"),
        (json!({"prompt_name": "", "prompt_content": "x"}), "prompt_name"),
        (json!({"prompt_name": "ok", "prompt_content": ""}), "prompt_content"),
        (json!({"prompt_name": "ok"}), "prompt_content"),
        (json!({"prompt_content": "x"}), "prompt_name"),
        (json!({"prompt_name": 5, "prompt_content": "x"}), "prompt_name"),
        (json!({"prompt_name": "ok", "prompt_content": ["x"]}), "prompt_content"),
        (
            json!({"prompt_name": "ok", "prompt_content": "x", "prompt_metadata": {"prompt_type": "system"}}),
            "prompt_metadata.prompt_type",
        ),
        (
            json!({"prompt_name": "ok", "prompt_content": "x", "prompt_metadata": {"prompt_type": 3}}),
            "prompt_metadata.prompt_type",
        ),
        (json!({"prompt_name": "ok", "prompt_content": "x", "prompt_metadata": "main"}), "prompt_metadata"),
    ];
    for (body, field) in cases {
        let answer = call(
            "create-prompt",
            &stack.app,
            ApiCall::fixture("create-prompt").key(&admin.plaintext).json(body.clone()),
        )
        .await;
        assert_eq!(answer.status, 400, "{body} answered {}", answer.body);
        assert_eq!(answer.error_field(), Some(field), "{body} answered {}", answer.body);
    }
    let listed = call("list-prompts", &stack.app, ApiCall::fixture("list-prompts").key(&admin.plaintext)).await;
    assert_eq!(listed.body["count"], 0, "nothing was stored");

    let longest = create(&stack, &admin.plaintext, &"n".repeat(100), "x").await;
    assert_eq!(longest.status, 201, "100 characters is allowed: {}", longest.body);
    let analysis = json!({"prompt_name": "a", "prompt_content": "x", "prompt_metadata": {"prompt_type": "analysis"}});
    let answer =
        call("create-prompt", &stack.app, ApiCall::fixture("create-prompt").key(&admin.plaintext).json(analysis)).await;
    assert_eq!(answer.status, 201);
}

#[tokio::test]
async fn leasing_limits_are_enforced_and_name_the_field() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    create(&stack, &admin.plaintext, "p", "original").await;
    let id = prompt_id(&stack, &admin.plaintext, "p").await;
    let cases: Vec<(Value, &str)> = vec![
        (json!({"temperature": 1.5}), "temperature"),
        (json!({"temperature": -0.1}), "temperature"),
        (json!({"temperature": "hot"}), "temperature"),
        (json!({"name": "n".repeat(101)}), "name"),
        (json!({"name": "  "}), "name"),
        (json!({"prompt": ""}), "prompt"),
        (json!({"prompt": 7}), "prompt"),
        (json!({"responseTime": -1}), "responseTime"),
        (json!({"description": "d".repeat(1001)}), "description"),
        (json!({"tools": "book_tour"}), "tools"),
        (json!({"tools": [{"title": "book_tour"}]}), "tools[0].name"),
        (json!({"tools": [{"name": ""}]}), "tools[0].name"),
        (json!({"toolConfigs": {"book_tour": true}}), "toolConfigs.book_tour"),
        (json!({"toolConfigs": {"book_tour": {"requireApproval": "yes"}}}), "toolConfigs.book_tour.requireApproval"),
        (json!({"toolConfigs": []}), "toolConfigs"),
    ];
    for (body, field) in cases {
        let answer = update(&stack, &admin.plaintext, &id, body.clone()).await;
        assert_eq!(answer.status, 400, "{body} answered {}", answer.body);
        assert_eq!(answer.error_field(), Some(field), "{body} answered {}", answer.body);
    }
    let unchanged = call(
        "get-prompt",
        &stack.app,
        ApiCall::fixture("get-prompt").key(&admin.plaintext).path_param("promptId", &id),
    )
    .await;
    assert_eq!(unchanged.body["prompt"], "original");
    assert_eq!(unchanged.body["temperature"], Value::Null);
    let bad_version = call(
        "get-prompt-version",
        &stack.app,
        ApiCall::fixture("get-prompt-version")
            .key(&admin.plaintext)
            .path_param("promptId", &id)
            .path_param("version", "0"),
    )
    .await;
    assert_eq!((bad_version.status, bad_version.error_field()), (400, Some("version")));
}
