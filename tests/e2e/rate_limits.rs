//! Rate limits on the API: per key and per workspace, a minute at a time, 429 with
//! `Retry-After` (and `retryAfter` in the body) over either; the webhook is never limited.

use colloquy_domain::model::Role;
use colloquy_domain::rate_limits::RateLimits;
use colloquy_tests::{call, meta_payload, signed_delivery, Answer, ApiCall, TestStack};

use crate::webhook::inbox;

async fn whoami(stack: &TestStack, key: &str) -> Answer {
    call("get-workspace", &stack.app, ApiCall::fixture("get-workspace").key(key)).await
}

/// Moves the clock to the start of the next minute, so a test's requests share one.
fn to_next_minute(stack: &TestStack) {
    let now = colloquy_domain::ports::Clock::now(stack.clock.as_ref()).unix_timestamp();
    stack.clock.advance(time::Duration::seconds(60 - now.rem_euclid(60)));
}

fn assert_limited(answer: &Answer, words: &str) {
    assert_eq!(answer.status, 429, "{}", answer.body);
    assert_eq!(answer.error_code(), "rate_limited");
    let message = answer.body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(words), "{message}");
    let header: Option<u64> = answer.retry_after.as_deref().and_then(|s| s.parse().ok());
    assert!(header.is_some_and(|s| (1..=60).contains(&s)), "Retry-After: {:?}", answer.retry_after);
    assert_eq!(answer.body["error"]["retryAfter"].as_u64(), header, "the body says what the header says");
}

#[tokio::test]
async fn a_key_over_its_limit_gets_429_with_retry_after_until_the_next_minute() {
    let mut stack = TestStack::new().await;
    stack.app.rate_limits = RateLimits { per_key: Some(3), per_workspace: None };
    let admin = stack.workspace("Acme").await;
    let other = stack.key(&admin, Role::Read).await;
    to_next_minute(&stack);
    stack.clock.advance(time::Duration::seconds(15));

    for n in 1..=3 {
        assert_eq!(whoami(&stack, &admin.plaintext).await.status, 200, "request {n} of 3");
    }
    let fourth = whoami(&stack, &admin.plaintext).await;
    let other_key = whoami(&stack, &other).await;

    assert_limited(&fourth, "this API key may make 3 requests a minute");
    assert_eq!(fourth.retry_after.as_deref(), Some("45"), "15 s into the minute");
    assert_eq!(other_key.status, 200, "another key of the workspace has its own count");
    stack.clock.advance(time::Duration::seconds(45));
    assert_eq!(whoami(&stack, &admin.plaintext).await.status, 200, "a new minute, a new count");
}

#[tokio::test]
async fn a_workspaces_keys_share_its_limit_and_other_workspaces_are_untouched() {
    let mut stack = TestStack::new().await;
    stack.app.rate_limits = RateLimits { per_key: Some(100), per_workspace: Some(4) };
    let acme = stack.workspace("Acme").await;
    let acme_reader = stack.key(&acme, Role::Read).await;
    let globex = stack.workspace("Globex").await;
    to_next_minute(&stack);

    for key in [&acme.plaintext, &acme_reader, &acme.plaintext, &acme_reader] {
        assert_eq!(whoami(&stack, key).await.status, 200);
    }
    let fifth = whoami(&stack, &acme_reader).await;
    let elsewhere = whoami(&stack, &globex.plaintext).await;

    assert_limited(&fifth, "this workspace's keys together may make 4 requests a minute");
    assert_eq!(elsewhere.status, 200, "another workspace counts on its own");
}

#[tokio::test]
async fn with_both_limits_the_refusal_names_the_one_reached() {
    let mut stack = TestStack::new().await;
    stack.app.rate_limits = RateLimits { per_key: Some(2), per_workspace: Some(100) };
    let admin = stack.workspace("Acme").await;
    to_next_minute(&stack);

    for _ in 0..2 {
        assert_eq!(whoami(&stack, &admin.plaintext).await.status, 200);
    }

    assert_limited(&whoami(&stack, &admin.plaintext).await, "this API key may make 2 requests a minute");
}

#[tokio::test]
async fn a_refused_request_is_not_counted_and_a_wrong_role_still_is() {
    let mut stack = TestStack::new().await;
    stack.app.rate_limits = RateLimits { per_key: Some(2), per_workspace: None };
    let admin = stack.workspace("Acme").await;
    let reader = stack.key(&admin, Role::Read).await;
    to_next_minute(&stack);

    let forbidden = call(
        "create-api-key",
        &stack.app,
        ApiCall::fixture("create-api-key").key(&reader).json(serde_json::json!({"name": "x", "role": "read"})),
    )
    .await;
    assert_eq!(forbidden.status, 403);
    assert_eq!(whoami(&stack, &reader).await.status, 200);
    assert_limited(&whoami(&stack, &reader).await, "2 requests a minute");
    assert_limited(&whoami(&stack, &reader).await, "2 requests a minute");
    stack.clock.advance(time::Duration::seconds(60));
    assert_eq!(whoami(&stack, &reader).await.status, 200, "the refusals took nothing from the next minute");
}

#[tokio::test]
async fn the_seed_shaped_routes_say_it_in_their_own_shape() {
    let mut stack = TestStack::new().await;
    stack.app.rate_limits = RateLimits { per_key: Some(1), per_workspace: None };
    let admin = stack.workspace("Acme").await;
    to_next_minute(&stack);
    assert_eq!(whoami(&stack, &admin.plaintext).await.status, 200);

    let prompt = ApiCall::fixture("send-prompt")
        .key(&admin.plaintext)
        .path_param("conversationId", "0196f2a4-0000-7000-8000-000000000000");
    let refused = call("send-prompt", &stack.app, prompt).await;

    assert_eq!(refused.status, 429, "{}", refused.body);
    assert_eq!(refused.body["success"], false);
    assert_eq!(refused.body["retryAfter"].as_u64(), refused.retry_after.as_deref().and_then(|s| s.parse().ok()));
}

#[tokio::test]
async fn the_webhook_is_never_limited() {
    let mut inbox = inbox(TestStack::new().await).await;
    inbox.stack.app.rate_limits = RateLimits { per_key: Some(1), per_workspace: Some(1) };

    for n in 0..5 {
        let body =
            meta_payload("text").replace("wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBDMEY0", &format!("wamid.LIMIT{n}"));
        let delivered = call("whatsapp-webhook", &inbox.stack.app, signed_delivery(&body)).await;
        assert_eq!(delivered.status, 200, "delivery {n}: {}", delivered.body);
    }
    let mut unlimited = inbox.stack.app.clone();
    unlimited.rate_limits = RateLimits::NONE;
    let listed = call(
        "list-conversation-messages",
        &unlimited,
        ApiCall::fixture("list-conversation-messages")
            .key(&inbox.key)
            .path_param("id", inbox.conversations().await[0]["id"].as_str().unwrap_or_default()),
    )
    .await;
    assert_eq!(listed.body["count"], 5, "every delivery was stored: {}", listed.body);
}
