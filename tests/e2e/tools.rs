//! Tools as workspace resources: created, read, changed and deleted through the handlers on moto;
//! names, schemas and addresses checked; names on prompts and agents must be tools the
//! workspace has (or built-ins).

use colloquy_domain::model::Role;
use colloquy_tests::{call, Answer, ApiCall, TestStack};
use serde_json::{json, Value};

pub fn book_viewing() -> Value {
    json!({
        "name": "book_viewing",
        "description": "Books a flat viewing for the contact.",
        "parameters": {"type": "object", "properties": {"day": {"type": "string"}}, "required": ["day"]},
        "url": "https://tools.maple-court.example/book-viewing",
        "requireApproval": true,
        "arguments": {"propertyId": "MC-1"}
    })
}

pub async fn create(stack: &TestStack, key: &str, body: Value) -> Answer {
    call("create-tool", &stack.app, ApiCall::fixture("create-tool").key(key).json(body)).await
}

async fn change(stack: &TestStack, key: &str, id: &str, body: Value) -> Answer {
    call("update-tool", &stack.app, ApiCall::fixture("update-tool").key(key).path_param("id", id).json(body)).await
}

async fn get(stack: &TestStack, key: &str, id: &str) -> Answer {
    call("get-tool", &stack.app, ApiCall::fixture("get-tool").key(key).path_param("id", id)).await
}

async fn delete(stack: &TestStack, key: &str, id: &str) -> Answer {
    call("delete-tool", &stack.app, ApiCall::fixture("delete-tool").key(key).path_param("id", id)).await
}

#[tokio::test]
async fn a_tool_is_created_read_listed_changed_and_deleted() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Maple Court").await;

    let created = create(&stack, &admin.plaintext, book_viewing()).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let tool = &created.body;
    let id = tool["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!((tool["name"].as_str(), tool["timeoutSeconds"].as_u64()), (Some("book_viewing"), Some(10)));
    assert_eq!((tool["requireApproval"].as_bool(), tool["approvalExpiryMinutes"].as_u64()), (Some(true), Some(30)));
    assert_eq!(tool["arguments"], json!({"propertyId": "MC-1"}));
    assert_eq!(tool["parameters"]["required"], json!(["day"]));

    assert_eq!(get(&stack, &admin.plaintext, &id).await.body, created.body);
    let listed = call("list-tools", &stack.app, ApiCall::fixture("list-tools").key(&admin.plaintext)).await;
    assert_eq!(listed.body["results"].as_array().map(Vec::len), Some(1), "{}", listed.body);

    let changed = change(
        &stack,
        &admin.plaintext,
        &id,
        json!({"requireApproval": false, "timeoutSeconds": 5, "arguments": null}),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(
        (changed.body["requireApproval"].as_bool(), changed.body["timeoutSeconds"].as_u64()),
        (Some(false), Some(5))
    );
    assert_eq!(changed.body["arguments"], json!({}), "null resets the fixed arguments");

    let renamed = change(&stack, &admin.plaintext, &id, json!({"name": "schedule_viewing"})).await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    let reused = create(&stack, &admin.plaintext, book_viewing()).await;
    assert_eq!(reused.status, 201, "a rename frees the old name: {}", reused.body);

    assert_eq!(delete(&stack, &admin.plaintext, &id).await.status, 204);
    assert_eq!(get(&stack, &admin.plaintext, &id).await.status, 404);
    assert_eq!(delete(&stack, &admin.plaintext, &id).await.status, 404);
    let again = create(
        &stack,
        &admin.plaintext,
        json!({"name": "schedule_viewing", "description": "d", "url": "https://tools.example.com/x"}),
    )
    .await;
    assert_eq!(again.status, 201, "deleting frees the name: {}", again.body);
}

#[tokio::test]
async fn names_are_unique_per_workspace_and_built_ins_are_reserved() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Maple Court").await;
    let other = stack.workspace("Other").await;
    assert_eq!(create(&stack, &admin.plaintext, book_viewing()).await.status, 201);
    let twice = create(&stack, &admin.plaintext, book_viewing()).await;
    assert_eq!(twice.status, 409, "{}", twice.body);
    assert_eq!(create(&stack, &other.plaintext, book_viewing()).await.status, 201, "another workspace may");

    let second = create(
        &stack,
        &admin.plaintext,
        json!({"name": "cancel_viewing", "description": "d", "url": "https://tools.example.com/c"}),
    )
    .await;
    let second_id = second.body["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(change(&stack, &admin.plaintext, &second_id, json!({"name": "book_viewing"})).await.status, 409);

    let mut reserved = book_viewing();
    reserved["name"] = json!("handoff_to_human");
    let refused = create(&stack, &admin.plaintext, reserved).await;
    assert_eq!((refused.status, refused.error_field()), (400, Some("name")));
}

#[tokio::test]
async fn bad_tools_are_400_naming_the_field() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Maple Court").await;
    let cases = [
        (json!({"name": "book viewing"}), "name"),
        (json!({"name": "x".repeat(65)}), "name"),
        (json!({"description": ""}), "description"),
        (json!({"url": "http://tools.example.com/x"}), "url"),
        (json!({"url": "https://127.0.0.1/x"}), "url"),
        (json!({"url": "https://10.0.0.8/x"}), "url"),
        (json!({"url": "https://169.254.169.254/latest"}), "url"),
        (json!({"parameters": {"type": "string"}}), "parameters"),
        (json!({"parameters": {"type": "object", "properties": {"day": {"type": "weekday"}}}}), "parameters"),
        (json!({"parameters": {"type": "object", "$ref": "https://schemas.example.com/x.json"}}), "parameters"),
        (json!({"timeoutSeconds": 0}), "timeoutSeconds"),
        (json!({"timeoutSeconds": 31}), "timeoutSeconds"),
        (json!({"approvalExpiryMinutes": 0}), "approvalExpiryMinutes"),
    ];
    for (change, field) in cases {
        let mut body = book_viewing();
        for (key, value) in change.as_object().into_iter().flatten() {
            body[key] = value.clone();
        }
        let refused = create(&stack, &admin.plaintext, body.clone()).await;
        assert_eq!((refused.status, refused.error_field()), (400, Some(field)), "{body}: {}", refused.body);
    }
}

#[tokio::test]
async fn tools_are_tenant_scoped_and_read_keys_cannot_change_them() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Maple Court").await;
    let reader = stack.key(&admin, Role::Read).await;
    let other = stack.workspace("Other").await;
    let id = create(&stack, &admin.plaintext, book_viewing()).await.body["id"].as_str().unwrap_or_default().to_owned();

    assert_eq!(get(&stack, &other.plaintext, &id).await.status, 404);
    assert_eq!(change(&stack, &other.plaintext, &id, json!({"timeoutSeconds": 5})).await.status, 404);
    assert_eq!(delete(&stack, &other.plaintext, &id).await.status, 404);
    assert_eq!(get(&stack, &reader, &id).await.status, 200);
    assert_eq!(create(&stack, &reader, book_viewing()).await.status, 403);
    assert_eq!(change(&stack, &reader, &id, json!({"timeoutSeconds": 5})).await.status, 403);
    assert_eq!(delete(&stack, &reader, &id).await.status, 403);
}

#[tokio::test]
async fn a_prompt_may_name_tools_before_they_exist_and_shows_which_resolve_to_nothing() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Maple Court").await;
    crate::prompts::create(&stack, &admin.plaintext, "maple-court", "Be kind.").await;
    let prompt = crate::prompts::prompt_id(&stack, &admin.plaintext, "maple-court").await;

    let unknown = crate::prompts::update(
        &stack,
        &admin.plaintext,
        &prompt,
        json!({"tools": [{"name": "handoff_to_human"}, {"name": "book_viewing"}, {"name": "getContact"}, {"name": "transfer"}]}),
    )
    .await;
    assert_eq!(unknown.status, 200, "{}", unknown.body);
    assert_eq!(unknown.body["prompt"]["unresolvedTools"], json!(["book_viewing"]), "{}", unknown.body);
    let got = call(
        "get-prompt",
        &stack.app,
        ApiCall::fixture("get-prompt").key(&admin.plaintext).path_param("promptId", &prompt),
    )
    .await;
    assert_eq!(got.body["unresolvedTools"], json!(["book_viewing"]), "{}", got.body);

    assert_eq!(create(&stack, &admin.plaintext, book_viewing()).await.status, 201);
    let known = crate::prompts::update(
        &stack,
        &admin.plaintext,
        &prompt,
        json!({"tools": [{"name": "handoff_to_human"}, {"name": "book_viewing"}]}),
    )
    .await;
    assert_eq!(known.status, 200, "{}", known.body);
    assert_eq!(known.body["prompt"]["unresolvedTools"], json!([]), "{}", known.body);

    let agent = |tools: Value| json!({"name": "Leasing", "promptId": prompt, "model": {"provider": "openai", "name": "gpt-4o-mini"}, "tools": tools});
    let refused = call(
        "create-agent",
        &stack.app,
        ApiCall::fixture("create-agent").key(&admin.plaintext).json(agent(json!([{"name": "send_sms"}]))),
    )
    .await;
    assert_eq!((refused.status, refused.error_field()), (400, Some("tools[0].name")), "{}", refused.body);
    let accepted = call(
        "create-agent",
        &stack.app,
        ApiCall::fixture("create-agent")
            .key(&admin.plaintext)
            .json(agent(json!([{"name": "book_viewing"}, {"name": "end_conversation"}]))),
    )
    .await;
    assert_eq!(accepted.status, 201, "{}", accepted.body);
    assert_eq!(accepted.body["unresolvedTools"], json!([]), "{}", accepted.body);
}
