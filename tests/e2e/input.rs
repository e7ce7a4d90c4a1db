//! Garbage in: always a 4xx with a JSON error that names the field, never a 5xx.

use colloquy_tests::{call, Answer, ApiCall, TestStack};
use serde_json::json;

async fn create_with_body(stack: &TestStack, key: &str, body: &str) -> Answer {
    call("create-api-key", &stack.app, ApiCall::fixture("create-api-key").key(key).body(body)).await
}

#[tokio::test]
async fn bad_bodies_are_400_naming_the_field() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    let long_name = "n".repeat(101);
    let cases = [
        (r#"{"name": "ci", "role": "#.to_owned(), None),
        ("not json at all".to_owned(), None),
        ("[]".to_owned(), None),
        ("".to_owned(), None),
        (json!({"role": "read"}).to_string(), Some("name")),
        (json!({"name": "ci"}).to_string(), Some("role")),
        (json!({"name": 42, "role": "read"}).to_string(), Some("name")),
        (json!({"name": "ci", "role": "owner"}).to_string(), Some("role")),
        (json!({"name": "ci", "role": ["read"]}).to_string(), Some("role")),
        (json!({"name": "   ", "role": "read"}).to_string(), Some("name")),
        (json!({"name": long_name, "role": "read"}).to_string(), Some("name")),
    ];
    for (body, field) in cases {
        let answer = create_with_body(&stack, &admin.plaintext, &body).await;
        assert_eq!(answer.status, 400, "body {body:?} answered {}", answer.body);
        assert_eq!(answer.error_code(), "invalid_request");
        assert_eq!(answer.error_field(), field, "body {body:?} answered {}", answer.body);
    }
    let listed = call("list-api-keys", &stack.app, ApiCall::fixture("list-api-keys").key(&admin.plaintext)).await;
    assert_eq!(listed.body["count"], 1, "no bad body created a key");
}

#[tokio::test]
async fn an_oversized_body_is_413() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    let body = json!({"name": "x".repeat(300 * 1024), "role": "read"}).to_string();

    let answer = create_with_body(&stack, &admin.plaintext, &body).await;

    assert_eq!(answer.status, 413, "{}", answer.body);
    assert_eq!(answer.error_code(), "payload_too_large");
}

#[tokio::test]
async fn bad_pagination_parameters_are_400() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    for (name, value) in
        [("limit", "0"), ("limit", "101"), ("limit", "ten"), ("cursor", "not-a-cursor"), ("cursor", "UFJPTVBUIzE")]
    {
        let request = ApiCall::fixture("list-api-keys").key(&admin.plaintext).query(name, value);
        let answer = call("list-api-keys", &stack.app, request).await;
        assert_eq!(answer.status, 400, "{name}={value} answered {}", answer.body);
        assert_eq!(answer.error_field(), Some(name));
    }
}

#[tokio::test]
async fn unknown_fields_are_ignored() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    let body = json!({"name": "ci", "role": "read", "expiresAt": "never", "nested": {"a": [1, 2]}}).to_string();

    let answer = create_with_body(&stack, &admin.plaintext, &body).await;

    assert_eq!(answer.status, 201, "{}", answer.body);
}
