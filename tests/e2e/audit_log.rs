//! The audit log: what people changed and decided, with who, through the API or the console;
//! a refused change leaves nothing; each workspace sees its own, and only admins.

use colloquy_domain::model::Role;
use colloquy_tests::{call, Answer, ApiCall, TestStack};
use serde_json::{json, Value};

use crate::console::{conversation_with, Browser};

async fn audit_log(stack: &TestStack, key: &str) -> Answer {
    call("list-audit-log", &stack.app, ApiCall::fixture("list-audit-log").key(key)).await
}

/// (action, target) of each entry of the workspace's log, oldest first.
pub async fn actions(stack: &TestStack, admin_key: &str) -> Vec<(String, String)> {
    entries(&audit_log(stack, admin_key).await).into_iter().map(|(action, target, _, _)| (action, target)).collect()
}

/// (action, target) pairs, for comparing with `actions`.
pub fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected.iter().map(|(action, target)| ((*action).to_owned(), (*target).to_owned())).collect()
}

/// (action, target, keyPrefix, via) of each entry, oldest first.
fn entries(log: &Answer) -> Vec<(String, String, String, String)> {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let mut rows: Vec<_> = log.body["results"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| (text(&e["action"]), text(&e["target"]), text(&e["keyPrefix"]), text(&e["via"])))
        .collect();
    rows.reverse();
    rows
}

#[tokio::test]
async fn changes_and_decisions_are_recorded_with_who_made_them_and_refusals_are_not() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    let conversation = conversation_with(&stack, &admin.key.workspace_id, "Rita").await;
    let writer_key = stack.key(&admin, Role::Write).await;
    let writer = Browser::signed_in(&stack, &writer_key).await;

    let created = call(
        "create-api-key",
        &stack.app,
        ApiCall::fixture("create-api-key").key(&admin.plaintext).json(json!({"name": "CRM", "role": "read"})),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let crm = created.body["prefix"].as_str().unwrap_or_default().to_owned();
    let revoke = ApiCall::fixture("revoke-api-key").key(&admin.plaintext).path_param("prefix", &crm);
    assert_eq!(call("revoke-api-key", &stack.app, revoke).await.status, 204);
    let quota = ApiCall::fixture("update-workspace").key(&admin.plaintext).json(json!({"monthlyTokenQuota": 5000}));
    assert_eq!(call("update-workspace", &stack.app, quota).await.status, 200);
    let takeover = ApiCall::fixture("takeover-conversation").key(&writer_key).path_param("id", &conversation.id);
    assert_eq!(call("takeover-conversation", &stack.app, takeover).await.status, 200);
    // Refused: changes nothing, records nothing.
    let unknown = ApiCall::fixture("handback-conversation")
        .key(&writer_key)
        .path_param("id", "0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e9f");
    assert_eq!(call("handback-conversation", &stack.app, unknown).await.status, 404);
    let path = format!("/console/conversations/{}", conversation.id);
    let back = writer.submit("console-conversation", &path, "console-handback", &format!("{path}/handback"), &[]).await;
    assert_eq!(back.status, 303, "{}", back.html);

    let log = audit_log(&stack, &admin.plaintext).await;
    assert_eq!(log.status, 200, "{}", log.body);
    let admin_prefix = admin.key.prefix.clone();
    let writer_prefix = writer_key.chars().take(admin_prefix.chars().count()).collect::<String>();
    let id = conversation.id.to_string();
    let workspace = admin.key.workspace_id.to_string();
    let expected = [
        ("api_key.created", crm.as_str(), admin_prefix.as_str(), "api"),
        ("api_key.revoked", crm.as_str(), admin_prefix.as_str(), "api"),
        ("workspace.changed", workspace.as_str(), admin_prefix.as_str(), "api"),
        ("conversation.taken_over", id.as_str(), writer_prefix.as_str(), "api"),
        ("conversation.handed_back", id.as_str(), writer_prefix.as_str(), "console"),
    ];
    let expected: Vec<(String, String, String, String)> = expected
        .iter()
        .map(|(a, t, k, v)| ((*a).to_owned(), (*t).to_owned(), (*k).to_owned(), (*v).to_owned()))
        .collect();
    assert_eq!(entries(&log), expected, "{}", log.body);
    assert!(log.body["results"][0]["at"].is_string());
}

#[tokio::test]
async fn the_log_is_the_workspaces_and_for_admins() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    let stranger = stack.workspace("Globex").await;
    let quota = ApiCall::fixture("update-workspace").key(&admin.plaintext).json(json!({"monthlyTokenQuota": 5000}));
    assert_eq!(call("update-workspace", &stack.app, quota).await.status, 200);
    let writer = stack.key(&admin, Role::Write).await;

    let theirs = audit_log(&stack, &stranger.plaintext).await;
    let ours = audit_log(&stack, &admin.plaintext).await;
    let written = audit_log(&stack, &writer).await;

    assert_eq!((theirs.status, theirs.body["count"].as_u64()), (200, Some(0)), "{}", theirs.body);
    assert_eq!(ours.body["count"].as_u64(), Some(1), "{}", ours.body);
    assert_eq!((written.status, written.error_code()), (403, "forbidden"));
}
