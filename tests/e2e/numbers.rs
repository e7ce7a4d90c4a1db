//! WhatsApp business numbers: one workspace holds a number.

use colloquy_tests::{call, Answer, ApiCall, TestStack};
use serde_json::{json, Value};

/// Registers a number; the body gets the tests' access token unless it names one.
pub async fn register(stack: &TestStack, key: &str, mut body: Value) -> Answer {
    if body.get("accessToken").is_none() {
        body["accessToken"] = Value::from(colloquy_tests::TEST_TOKEN);
    }
    call("register-whatsapp-number", &stack.app, ApiCall::fixture("register-whatsapp-number").key(key).json(body)).await
}

#[tokio::test]
async fn a_number_belongs_to_one_workspace() {
    let stack = TestStack::new().await;
    let first = stack.workspace("First").await;
    let second = stack.workspace("Second").await;

    let registered =
        register(&stack, &first.plaintext, json!({"phoneNumberId": "1065403522", "displayNumber": "+1 555 078 3881"}))
            .await;
    assert_eq!(registered.status, 201, "{}", registered.body);
    assert_eq!(registered.body["displayNumber"], "+15550783881");

    let taken =
        register(&stack, &second.plaintext, json!({"phoneNumberId": "1065403522", "displayNumber": "+15550783881"}))
            .await;
    assert_eq!(taken.status, 409, "{}", taken.body);
    assert!(!taken.body.to_string().contains(first.key.workspace_id.as_str()), "does not say who holds it");

    let listed =
        call("list-whatsapp-numbers", &stack.app, ApiCall::fixture("list-whatsapp-numbers").key(&second.plaintext))
            .await;
    assert_eq!(listed.body["count"], 0);
    let remove =
        |key: &str| ApiCall::fixture("remove-whatsapp-number").key(key).path_param("phoneNumberId", "1065403522");
    assert_eq!(call("remove-whatsapp-number", &stack.app, remove(&second.plaintext)).await.status, 404);
    assert_eq!(call("remove-whatsapp-number", &stack.app, remove(&first.plaintext)).await.status, 204);

    let now_free =
        register(&stack, &second.plaintext, json!({"phoneNumberId": "1065403522", "displayNumber": "+15550783881"}))
            .await;
    assert_eq!(now_free.status, 201, "a removed number can be registered again: {}", now_free.body);
    // Each workspace's audit log has what its admin did; refusals left nothing.
    let first_log = crate::audit_log::actions(&stack, &first.plaintext).await;
    let second_log = crate::audit_log::actions(&stack, &second.plaintext).await;
    use crate::audit_log::pairs;
    assert_eq!(first_log, pairs(&[("number.registered", "1065403522"), ("number.removed", "1065403522")]));
    assert_eq!(second_log, pairs(&[("number.registered", "1065403522")]));
}

#[tokio::test]
async fn bad_numbers_are_400_naming_the_field() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    let stranger = stack.workspace("Stranger").await;
    let their_agent = crate::agents::agent_for(&stack, &stranger.plaintext).await;
    let cases = [
        (json!({"phoneNumberId": "abc", "displayNumber": "+15550783881"}), "phoneNumberId"),
        (json!({"phoneNumberId": "123", "displayNumber": "555-CALL"}), "displayNumber"),
        (
            json!({"phoneNumberId": "123", "displayNumber": "+15550783881", "defaultAgentId": their_agent}),
            "defaultAgentId",
        ),
        (json!({"displayNumber": "+15550783881"}), "phoneNumberId"),
    ];
    for (body, field) in cases {
        let answer = register(&stack, &admin.plaintext, body.clone()).await;
        assert_eq!((answer.status, answer.error_field()), (400, Some(field)), "{body} answered {}", answer.body);
    }
}
