//! A tenant who attacks the platform through what it may configure: tool schemas whose patterns
//! stall validation, approvals after expiry, tool URLs changed under a pending call, outbound
//! addresses and ports, numbers registered on the deployment's own token, the local stack itself.

use colloquy_tests::TestStack;
use serde_json::json;

use crate::tools::{book_viewing, create};

/// Matching time of this pattern grows exponentially on a backtracking engine.
const CATASTROPHIC: &str = r"^(?:((a|a)*)\1c|a+)$";

#[tokio::test]
async fn a_schema_pattern_that_needs_backtracking_is_refused_when_the_tool_is_created() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Maple Court").await;
    let mut tool = book_viewing();
    tool["parameters"]["properties"]["day"] =
        json!({"type": "array", "items": {"type": "string", "pattern": CATASTROPHIC}});

    let refused = create(&stack, &admin.plaintext, tool.clone()).await;

    assert_eq!((refused.status, refused.error_field()), (400, Some("parameters")), "{}", refused.body);
    assert!(refused.body.to_string().contains("backreferences"), "{}", refused.body);
    let look_ahead = json!({"type": "object", "patternProperties": {"^(?=a)": {"type": "string"}}});
    tool["parameters"]["properties"]["day"] = look_ahead;
    assert_eq!(create(&stack, &admin.plaintext, tool.clone()).await.status, 400);
    tool["parameters"]["properties"]["day"] = json!({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"});
    assert_eq!(create(&stack, &admin.plaintext, tool).await.status, 201, "an ordinary pattern is accepted");
}

#[tokio::test]
async fn special_purpose_addresses_other_ports_and_the_local_aws_are_refused_as_tool_urls() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Maple Court").await;
    let moto = format!("{}/moto-api/data.json", colloquy_tests::moto_endpoint());
    for url in [
        "https://[::ffff:0:7f00:1]/",
        "https://[::ffff:0:a9fe:a9fe]/latest/meta-data/",
        "https://[2001::1]/",
        "https://[100::1]/",
        "https://hooks.example.com:22/",
        "https://hooks.example.com:6379/",
        "https://hooks.example.com:0/",
        moto.as_str(),
    ] {
        let mut tool = book_viewing();
        tool["url"] = json!(url);
        let refused = create(&stack, &admin.plaintext, tool).await;
        assert_eq!((refused.status, refused.error_field()), (400, Some("url")), "{url}: {}", refused.body);
    }
}

#[tokio::test]
async fn a_registration_on_the_deployment_s_token_is_checked_with_meta_like_any_other() {
    let mut stack = TestStack::new().await;
    stack.app.default_token = Some(colloquy_domain::ports::Secret(colloquy_tests::TEST_TOKEN.into()));
    let admin = stack.workspace("Maple Court").await;
    let register = |body: serde_json::Value| {
        let request = colloquy_tests::ApiCall::fixture("register-whatsapp-number").key(&admin.plaintext).json(body);
        colloquy_tests::call("register-whatsapp-number", &stack.app, request)
    };

    let wrong_display = register(json!({"phoneNumberId": "777000777", "displayNumber": "+15550000000"})).await;
    assert_eq!(
        (wrong_display.status, wrong_display.error_field()),
        (400, Some("displayNumber")),
        "{}",
        wrong_display.body
    );
    let unknown = register(json!({"phoneNumberId": "999999999", "displayNumber": "+17770007777"})).await;
    assert_eq!((unknown.status, unknown.error_field()), (400, Some("accessToken")), "{}", unknown.body);
    let shown = register(json!({"phoneNumberId": "777000777", "displayNumber": "+17770007777"})).await;
    assert_eq!(shown.status, 201, "{}", shown.body);
}

#[tokio::test]
async fn a_patch_that_sets_a_required_field_to_null_is_400_naming_it() {
    use colloquy_tests::{call, ApiCall};
    let stack = TestStack::new().await;
    let admin = stack.workspace("Maple Court").await;
    let key = admin.plaintext.as_str();
    let tool = create(&stack, key, book_viewing()).await.body["id"].as_str().unwrap_or_default().to_owned();
    let rule = json!({"name": "No CVV", "keywords": ["cvv"], "appliesTo": "input", "action": "block"});
    let policy = call("create-policy", &stack.app, ApiCall::fixture("create-policy").key(key).json(rule)).await;
    let policy = policy.body["id"].as_str().unwrap_or_default().to_owned();
    let agent = crate::revisions::an_agent(&stack, key).await;

    for (function, id, field) in [
        ("update-tool", &tool, "url"),
        ("update-tool", &tool, "name"),
        ("update-policy", &policy, "action"),
        ("update-policy", &policy, "enabled"),
        ("update-agent", &agent, "name"),
        ("update-agent", &agent, "model"),
    ] {
        let request = ApiCall::fixture(function).key(key).path_param("id", id).json(json!({ field: null }));
        let refused = call(function, &stack.app, request).await;
        assert_eq!((refused.status, refused.error_field()), (400, Some(field)), "{function} {field}: {}", refused.body);
    }
    let kept = call("get-agent", &stack.app, ApiCall::fixture("get-agent").key(key).path_param("id", &agent)).await;
    assert_eq!(kept.body["name"], "Leasing");
}
