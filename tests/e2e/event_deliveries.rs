//! The delivery log: every event's delivery is logged, a person replays one, and a webhook that
//! fails 20 deliveries in a row is disabled until the workspace enables it again.

use colloquy_domain::model::{ConversationId, Role, WorkspaceId};
use colloquy_tests::{call, Answer, ApiCall};
use serde_json::{json, Value};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::agent_loop::{agent_loop, Loop};

async fn settings(l: &Loop, body: Value) -> Answer {
    let request = ApiCall::fixture("update-workspace").key(&l.inbox.key).json(body);
    call("update-workspace", &l.inbox.stack.app, request).await
}

async fn deliveries(l: &Loop, key: &str) -> Answer {
    let request = ApiCall::fixture("list-event-deliveries").key(key).query("limit", "100");
    call("list-event-deliveries", &l.inbox.stack.app, request).await
}

async fn replay(l: &Loop, key: &str, id: &str) -> Answer {
    let request = ApiCall::fixture("replay-event-delivery").key(key).path_param("id", id);
    call("replay-event-delivery", &l.inbox.stack.app, request).await
}

async fn workspace_id(l: &Loop) -> WorkspaceId {
    let got = call("get-workspace", &l.inbox.stack.app, ApiCall::fixture("get-workspace").key(&l.inbox.key)).await;
    WorkspaceId::from_raw(got.body["id"].as_str().unwrap_or_default())
}

/// `count` events of the workspace, emitted as the use cases do.
async fn emit(l: &Loop, count: usize) {
    let workspace = workspace_id(l).await;
    let conversation = ConversationId::from_raw("0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e9f");
    for n in 0..count {
        let data = json!({"n": n});
        colloquy_domain::events::emit(
            &l.inbox.stack.app.event_ports(),
            &workspace,
            colloquy_domain::events::model::EventType::MessageSent,
            &conversation,
            data,
        )
        .await
        .expect("emitted");
    }
}

/// A receiver that answers every POST with `status`.
async fn receiver(l: &Loop, status: u16) -> MockServer {
    let receiver = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(status)).mount(&receiver).await;
    let set = settings(l, json!({"webhookUrl": format!("{}/hooks", receiver.uri())})).await;
    assert_eq!(set.status, 200, "{}", set.body);
    receiver
}

async fn answer_with(receiver: &MockServer, status: u16) {
    receiver.reset().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(status)).mount(receiver).await;
}

async fn delivery_ids(receiver: &MockServer) -> Vec<String> {
    let requests = receiver.received_requests().await.unwrap_or_default();
    requests
        .iter()
        .filter_map(|r| r.headers.get("x-colloquy-delivery").and_then(|v| v.to_str().ok()).map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn every_try_is_logged_and_a_failed_delivery_is_replayed_with_its_id() {
    let l = agent_loop().await;
    let receiver = receiver(&l, 503).await;
    emit(&l, 1).await;
    l.run_worker().await;

    let logged = deliveries(&l, &l.inbox.key).await;
    assert_eq!((logged.status, logged.body["count"].as_u64()), (200, Some(1)), "{}", logged.body);
    let failed = logged.body["results"][0].clone();
    assert_eq!(
        (&failed["event"], &failed["status"], &failed["attempts"], &failed["lastStatusCode"]),
        (&json!("message.sent"), &json!("failed"), &json!(5), &json!(503)),
        "{failed}"
    );
    assert!(failed["lastError"].as_str().is_some_and(|e| e.contains("503")), "{failed}");
    assert!(failed["lastAttemptAt"].is_string(), "{failed}");
    let id = failed["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(delivery_ids(&receiver).await, vec![id.clone(); 5], "five tries, one delivery id");

    // The receiver is back; an admin sends it again.
    answer_with(&receiver, 204).await;
    let replayed = replay(&l, &l.inbox.key, &id).await;
    assert_eq!((replayed.status, &replayed.body["status"]), (200, &json!("pending")), "{}", replayed.body);
    l.run_worker().await;

    let after = deliveries(&l, &l.inbox.key).await.body["results"][0].clone();
    assert_eq!(
        (&after["status"], &after["attempts"], &after["lastStatusCode"], &after["lastError"]),
        (&json!("delivered"), &json!(6), &json!(204), &Value::Null),
        "{after}"
    );
    let by = after["replayedBy"].as_str().unwrap_or_default();
    assert!(
        after["replayedAt"].is_string() && !by.is_empty() && l.inbox.key.starts_with(by),
        "who replayed it: {after}"
    );
    assert_eq!(delivery_ids(&receiver).await, vec![id], "the replay carries the same delivery id");
    let body: Value =
        serde_json::from_slice(&receiver.received_requests().await.unwrap_or_default()[0].body).unwrap_or(Value::Null);
    assert_eq!((&body["type"], &body["data"]["n"]), (&json!("message.sent"), &json!(0)), "the same event: {body}");
}

#[tokio::test]
async fn the_log_and_replays_are_the_workspaces_and_for_admins() {
    let l = agent_loop().await;
    let _receiver = receiver(&l, 204).await;
    emit(&l, 2).await;
    l.run_worker().await;
    let ours = deliveries(&l, &l.inbox.key).await;
    let id = ours.body["results"][0]["id"].as_str().unwrap_or_default().to_owned();
    let stranger = l.inbox.stack.workspace("Globex").await;
    let reader = l.inbox.stack.key_for(&l.inbox.key, Role::Read).await;

    let theirs = deliveries(&l, &stranger.plaintext).await;
    let not_theirs = replay(&l, &stranger.plaintext, &id).await;
    let read_only = (deliveries(&l, &reader).await.status, replay(&l, &reader, &id).await.status);
    let nonsense = replay(&l, &l.inbox.key, &"x".repeat(5000)).await;

    let statuses: Vec<&Value> = ours.body["results"].as_array().into_iter().flatten().map(|d| &d["status"]).collect();
    assert_eq!(statuses, vec![&json!("delivered"); 2], "{}", ours.body);
    assert_eq!((theirs.status, theirs.body["count"].as_u64()), (200, Some(0)), "{}", theirs.body);
    assert_eq!((not_theirs.status, not_theirs.error_code()), (404, "not_found"));
    assert_eq!(read_only, (403, 403), "admins only");
    assert_eq!((nonsense.status, nonsense.error_code()), (404, "not_found"));

    // Without a webhook there is nothing to replay to.
    assert_eq!(settings(&l, json!({"webhookUrl": null})).await.status, 200);
    let no_webhook = replay(&l, &l.inbox.key, &id).await;
    assert_eq!((no_webhook.status, no_webhook.error_code()), (409, "conflict"), "{}", no_webhook.body);
    assert!(no_webhook.body.to_string().contains("webhookUrl"), "says what to do: {}", no_webhook.body);
}

#[tokio::test]
async fn a_webhook_that_fails_twenty_deliveries_in_a_row_is_disabled_until_enabled() {
    let l = agent_loop().await;
    let receiver = receiver(&l, 500).await;
    emit(&l, 19).await;
    l.run_worker().await;
    let nineteen = call("get-workspace", &l.inbox.stack.app, ApiCall::fixture("get-workspace").key(&l.inbox.key)).await;
    assert_eq!(
        (&nineteen.body["webhookEnabled"], &nineteen.body["webhookFailures"], &nineteen.body["webhookDisabled"]),
        (&json!(true), &json!(19), &Value::Null),
        "{}",
        nineteen.body
    );
    emit(&l, 1).await;
    l.run_worker().await;

    let workspace =
        call("get-workspace", &l.inbox.stack.app, ApiCall::fixture("get-workspace").key(&l.inbox.key)).await;
    assert_eq!((&workspace.body["webhookEnabled"], &workspace.body["webhookFailures"]), (&json!(false), &json!(20)));
    let reason = workspace.body["webhookDisabled"]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("20 deliveries in a row failed") && reason.contains("500"), "why: {}", workspace.body);
    let log = deliveries(&l, &l.inbox.key).await.body;
    assert_eq!(
        (&log["results"][0]["event"], &log["results"][0]["status"]),
        (&json!("webhook.disabled"), &json!("held"))
    );
    let tries = delivery_ids(&receiver).await.len();
    assert_eq!(tries, 100, "twenty deliveries of five tries each");

    // While disabled: an event is held, nothing is POSTed, and a replay says to enable it first.
    emit(&l, 1).await;
    l.run_worker().await;
    let held = deliveries(&l, &l.inbox.key).await.body["results"][0].clone();
    assert_eq!((&held["status"], &held["attempts"]), (&json!("held"), &json!(0)), "{held}");
    assert_eq!(delivery_ids(&receiver).await.len(), tries, "nothing sent while disabled");
    let refused = replay(&l, &l.inbox.key, held["id"].as_str().unwrap_or_default()).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(refused.body.to_string().contains("webhookEnabled"), "says how: {}", refused.body);

    // The receiver is fixed; the workspace enables the webhook and replays what was held.
    answer_with(&receiver, 204).await;
    let enabled = settings(&l, json!({"webhookEnabled": true})).await;
    assert_eq!(
        (&enabled.body["webhookEnabled"], &enabled.body["webhookFailures"], &enabled.body["webhookDisabled"]),
        (&json!(true), &json!(0), &Value::Null),
        "{}",
        enabled.body
    );
    assert_eq!(replay(&l, &l.inbox.key, held["id"].as_str().unwrap_or_default()).await.status, 200);
    emit(&l, 1).await;
    l.run_worker().await;
    assert_eq!(delivery_ids(&receiver).await.len(), 2, "the replayed event and the new one");
}

#[tokio::test]
async fn a_person_may_disable_the_webhook_and_a_new_address_enables_it() {
    let l = agent_loop().await;
    let receiver = receiver(&l, 204).await;
    let disabled = settings(&l, json!({"webhookEnabled": false})).await;
    assert_eq!(disabled.body["webhookEnabled"], json!(false), "{}", disabled.body);
    let reason = disabled.body["webhookDisabled"]["reason"].as_str().unwrap_or_default();
    let by = reason.rsplit(' ').next().unwrap_or_default();
    assert!(by.len() >= 8 && l.inbox.key.starts_with(by), "recorded with who did it: {reason}");
    emit(&l, 1).await;
    l.run_worker().await;
    assert!(delivery_ids(&receiver).await.is_empty(), "nothing sent while disabled");

    let other = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(204)).mount(&other).await;
    let moved = settings(&l, json!({"webhookUrl": format!("{}/new", other.uri())})).await;
    assert_eq!((&moved.body["webhookEnabled"], &moved.body["webhookDisabled"]), (&json!(true), &Value::Null));
    emit(&l, 1).await;
    l.run_worker().await;
    assert_eq!(delivery_ids(&other).await.len(), 1, "a new address is enabled afresh");
}
