//! Outbound events and the monthly token quota.

use colloquy_tests::{call, meta_payload, ApiCall};
use serde_json::{json, Value};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::agent_loop::{agent_loop, Loop};

async fn settings(l: &Loop, body: Value) -> colloquy_tests::Answer {
    let request = ApiCall::fixture("update-workspace").key(&l.inbox.key).json(body);
    call("update-workspace", &l.inbox.stack.app, request).await
}

fn verify(secret: &str, request: &wiremock::Request) -> bool {
    let header = request.headers.get("x-colloquy-signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let timestamp: i64 =
        header.split(',').next().and_then(|t| t.strip_prefix("t=")).and_then(|t| t.parse().ok()).unwrap_or(0);
    header == colloquy_domain::events::model::signature(secret, timestamp, &String::from_utf8_lossy(&request.body))
}

#[tokio::test]
async fn events_are_signed_and_delivered_outside_the_request_and_retried() {
    let l = agent_loop().await;
    l.mount_ok("hello back").await;
    let receiver = MockServer::start().await;
    // The receiver fails once, then takes everything.
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&receiver)
        .await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(204)).with_priority(2).mount(&receiver).await;
    let set = settings(&l, json!({"webhookUrl": format!("{}/hooks", receiver.uri())})).await;
    assert_eq!(set.status, 200, "{}", set.body);
    let secret = set.body["webhookSecret"].as_str().expect("the secret is shown once").to_owned();
    assert!(settings(&l, json!({"monthlyTokenQuota": null})).await.body.get("webhookSecret").is_none(), "only once");

    l.inbox.deliver(&meta_payload("text")).await;
    assert!(
        receiver.received_requests().await.unwrap_or_default().is_empty(),
        "nothing is POSTed in the webhook request"
    );
    l.run_worker().await;

    let requests = receiver.received_requests().await.unwrap_or_default();
    let delivered: Vec<(String, String)> = requests
        .iter()
        .map(|r| {
            let event = r.headers.get("x-colloquy-event").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            let delivery =
                r.headers.get("x-colloquy-delivery").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            (event, delivery)
        })
        .collect();
    // Each event is delivered on its own (one failing does not hold the next back), so the
    // retry of the first may come after the second.
    assert_eq!(delivered.len(), 3, "message.received failed once and was retried, and message.sent: {delivered:?}");
    assert_eq!(delivered[0].0, "message.received");
    let retried: Vec<&(String, String)> = delivered.iter().filter(|d| d.0 == "message.received").collect();
    assert_eq!(retried, vec![&delivered[0], &delivered[0]], "the retry carries the same delivery id: {delivered:?}");
    assert!(requests.iter().all(|r| verify(&secret, r)), "every delivery is signed with the workspace's secret");
    let sent = requests.iter().find(|r| r.headers.get("x-colloquy-event").is_some_and(|v| v == "message.sent"));
    let body: Value = sent.and_then(|r| serde_json::from_slice(&r.body).ok()).expect("message.sent as JSON");
    assert_eq!(body["data"]["text"], "hello back");
}

#[tokio::test]
async fn over_the_monthly_quota_prompts_get_429_and_the_llm_is_not_called() {
    let l = agent_loop().await;
    l.mount_ok("first and last").await;
    assert_eq!(settings(&l, json!({"monthlyTokenQuota": 40})).await.body["monthlyTokenQuota"], 40);
    l.inbox.deliver(&meta_payload("text")).await;
    l.run_worker().await;
    assert_eq!(l.llm_calls().await.len(), 1, "49 tokens used: the quota of 40 is now exceeded");

    let again = meta_payload("text").replace("wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBDMEY0", "wamid.OVER");
    l.inbox.deliver(&again).await;
    l.inbox.stack.app.workspaces.forget(&l.inbox.stack.app_workspace(&l.inbox.key).await);
    l.run_worker().await;
    assert_eq!(l.llm_calls().await.len(), 1, "no LLM call over the quota");
    let messages = l.inbox.messages().await;
    assert!(messages[0]["error"]["message"].as_str().unwrap_or_default().contains("quota"), "{:?}", messages[0]);

    let conversation = l.inbox.conversations().await[0]["id"].as_str().unwrap_or_default().to_owned();
    let request = ApiCall::fixture("send-prompt")
        .bearer(&l.inbox.key)
        .path_param("conversationId", &conversation)
        .json(json!({"prompt": "hi"}));
    let refused = call("send-prompt", &l.inbox.stack.app, request).await;
    assert_eq!(refused.status, 429, "{}", refused.body);
    assert_eq!(refused.body["success"], false);
    assert!(refused.body["message"].as_str().unwrap_or_default().contains("quota"));
}

#[tokio::test]
async fn settings_are_admin_only_and_validated() {
    let l = agent_loop().await;
    let writer = l.inbox.stack.key_for(&l.inbox.key, colloquy_domain::model::Role::Write).await;
    let request = ApiCall::fixture("update-workspace").key(&writer);
    assert_eq!(call("update-workspace", &l.inbox.stack.app, request).await.status, 403);
    for (body, field) in [
        (json!({"webhookUrl": "ftp://example.com"}), "webhookUrl"),
        (json!({"monthlyTokenQuota": -5}), "monthlyTokenQuota"),
    ] {
        let answer = settings(&l, body.clone()).await;
        assert_eq!((answer.status, answer.error_field()), (400, Some(field)), "{body} answered {}", answer.body);
    }
}
