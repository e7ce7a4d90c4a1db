//! Every read-modify-write is conditional on the item's revision: two PATCHes of different
//! fields at once both survive, for an agent, a policy, a tool and the workspace.

use colloquy_tests::{call, ApiCall, TestStack};
use serde_json::{json, Value};

async fn patch(stack: &TestStack, function: &str, key: &str, id: Option<&str>, body: Value) -> u16 {
    let mut request = ApiCall::fixture(function).key(key).json(body);
    if let Some(id) = id {
        request = request.path_param("id", id);
    }
    call(function, &stack.app, request).await.status
}

async fn read(stack: &TestStack, function: &str, key: &str, id: Option<&str>) -> Value {
    let mut request = ApiCall::fixture(function).key(key);
    if let Some(id) = id {
        request = request.path_param("id", id);
    }
    call(function, &stack.app, request).await.body
}

/// An agent called "Leasing" on a new prompt of the key's workspace: its id.
pub async fn an_agent(stack: &TestStack, key: &str) -> String {
    crate::prompts::create(stack, key, "maple-court", "Be kind.").await;
    let prompt = crate::prompts::prompt_id(stack, key, "maple-court").await;
    let agent = json!({"name": "Leasing", "promptId": prompt, "model": {"provider": "openai", "name": "gpt-4o-mini"}});
    let agent = call("create-agent", &stack.app, ApiCall::fixture("create-agent").key(key).json(agent)).await;
    assert_eq!(agent.status, 201, "{}", agent.body);
    agent.body["id"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn two_patches_of_different_fields_at_once_both_survive() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Maple Court").await;
    let key = admin.plaintext.as_str();
    let agent = an_agent(&stack, key).await;
    let rule = json!({"name": "No CVV", "keywords": ["cvv"], "appliesTo": "input", "action": "block"});
    let policy = call("create-policy", &stack.app, ApiCall::fixture("create-policy").key(key).json(rule)).await;
    let policy = policy.body["id"].as_str().unwrap_or_default().to_owned();

    for round in 1..=6u32 {
        let name = format!("Leasing {round}");
        let (a, b) = tokio::join!(
            patch(&stack, "update-agent", key, Some(&agent), json!({"name": name})),
            patch(&stack, "update-agent", key, Some(&agent), json!({"replyDelaySeconds": round})),
        );
        assert_eq!((a, b), (200, 200));
        let stored = read(&stack, "get-agent", key, Some(&agent)).await;
        assert_eq!(
            (stored["name"].as_str(), stored["replyDelaySeconds"].as_u64()),
            (Some(name.as_str()), Some(u64::from(round))),
            "round {round}"
        );

        let keyword = format!("cvv{round}");
        let (a, b) = tokio::join!(
            patch(&stack, "update-policy", key, Some(&policy), json!({"keywords": [keyword]})),
            patch(&stack, "update-policy", key, Some(&policy), json!({"enabled": round % 2 == 0})),
        );
        assert_eq!((a, b), (200, 200));
        let stored = read(&stack, "get-policy", key, Some(&policy)).await;
        assert_eq!(
            (stored["keywords"][0].as_str(), stored["enabled"].as_bool()),
            (Some(keyword.as_str()), Some(round % 2 == 0)),
            "round {round}"
        );

        let url = format!("https://hooks.example.com/r{round}");
        let (a, b) = tokio::join!(
            patch(&stack, "update-workspace", key, None, json!({"webhookUrl": url})),
            patch(&stack, "update-workspace", key, None, json!({"monthlyTokenQuota": 1000 * u64::from(round)})),
        );
        assert_eq!((a, b), (200, 200));
        let stored = read(&stack, "get-workspace", key, None).await;
        assert_eq!(stored["webhookUrl"].as_str(), Some(url.as_str()), "round {round}: {stored}");
        assert_eq!(stored["monthlyTokenQuota"].as_u64(), Some(1000 * u64::from(round)), "round {round}: {stored}");
    }
}

#[tokio::test]
async fn a_patch_of_a_deleted_agent_is_404() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Maple Court").await;
    let key = admin.plaintext.as_str();
    let agent = an_agent(&stack, key).await;
    let delete = ApiCall::fixture("delete-agent").key(key).path_param("id", &agent);
    assert_eq!(call("delete-agent", &stack.app, delete).await.status, 204);
    assert_eq!(patch(&stack, "update-agent", key, Some(&agent), json!({"name": "Gone"})).await, 404);
}

#[tokio::test]
async fn two_patches_of_different_fields_of_a_tool_at_once_both_survive_and_a_rename_still_checks_the_name() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Maple Court").await;
    let key = admin.plaintext.as_str();
    let create = |name: &str| {
        let body = json!({"name": name, "description": "Books a viewing.", "parameters": {"type": "object"}, "url": "https://api.maple-court.example/tools/book"});
        ApiCall::fixture("create-tool").key(key).json(body)
    };
    let tool = call("create-tool", &stack.app, create("book_viewing")).await;
    assert_eq!(tool.status, 201, "{}", tool.body);
    let tool = tool.body["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(call("create-tool", &stack.app, create("cancel_viewing")).await.status, 201);

    for round in 1..=6u32 {
        let description = format!("Books a viewing, take {round}.");
        let (a, b) = tokio::join!(
            patch(&stack, "update-tool", key, Some(&tool), json!({"description": description})),
            patch(&stack, "update-tool", key, Some(&tool), json!({"timeoutSeconds": round + 1})),
        );
        assert_eq!((a, b), (200, 200));
        let stored = read(&stack, "get-tool", key, Some(&tool)).await;
        assert_eq!(
            (stored["description"].as_str(), stored["timeoutSeconds"].as_u64()),
            (Some(description.as_str()), Some(u64::from(round + 1))),
            "round {round}: {stored}"
        );
    }
    assert_eq!(patch(&stack, "update-tool", key, Some(&tool), json!({"name": "cancel_viewing"})).await, 409);
}
