use colloquy_tests::{call, Answer, ApiCall, TestStack};
use serde_json::{json, Value};

async fn create(stack: &TestStack, key: &str, body: Value) -> Answer {
    call("create-api-key", &stack.app, ApiCall::fixture("create-api-key").key(key).json(body)).await
}

async fn list(stack: &TestStack, key: &str) -> Answer {
    call("list-api-keys", &stack.app, ApiCall::fixture("list-api-keys").key(key)).await
}

async fn revoke(stack: &TestStack, key: &str, prefix: &str) -> Answer {
    call("revoke-api-key", &stack.app, ApiCall::fixture("revoke-api-key").key(key).path_param("prefix", prefix)).await
}

async fn whoami(stack: &TestStack, key: &str) -> Answer {
    call("get-workspace", &stack.app, ApiCall::fixture("get-workspace").key(key)).await
}

fn prefixes(answer: &Answer) -> Vec<String> {
    answer.body["results"]
        .as_array()
        .map(|keys| keys.iter().filter_map(|k| k["prefix"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn an_admin_creates_a_key_that_works_and_is_shown_once() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;

    let created = create(&stack, &admin.plaintext, json!({"name": "CRM integration", "role": "write"})).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["name"], "CRM integration");
    assert_eq!(created.body["role"], "write");
    let secret = created.body["keySecret"].as_str().expect("the secret is shown on creation").to_owned();
    let prefix = created.body["prefix"].as_str().expect("prefix").to_owned();
    assert!(secret.starts_with(&prefix));

    let me = whoami(&stack, &secret).await;
    assert_eq!((me.status, me.body["apiKey"]["role"].as_str()), (200, Some("write")));

    let listed = list(&stack, &admin.plaintext).await;
    assert_eq!(listed.status, 200);
    assert!(prefixes(&listed).contains(&prefix));
    assert!(!listed.body.to_string().contains(&secret), "a list never shows secrets");

    let scan = stack.dynamodb().scan().table_name(&stack.resources.table_name).send().await.expect("scan (test only)");
    let stored = format!("{:?}", scan.items());
    assert!(!stored.contains(&secret), "only the key's hash is stored");
}

#[tokio::test]
async fn read_and_write_keys_cannot_manage_keys() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    let mut secrets = Vec::new();
    for role in ["read", "write"] {
        let created = create(&stack, &admin.plaintext, json!({"name": role, "role": role})).await;
        secrets.push(created.body["keySecret"].as_str().expect("secret").to_owned());
    }

    for secret in &secrets {
        let denied = create(&stack, secret, json!({"name": "escalate", "role": "admin"})).await;
        assert_eq!(denied.status, 403, "{}", denied.body);
        assert_eq!(denied.error_code(), "forbidden");
        assert_eq!(list(&stack, secret).await.status, 403);
        assert_eq!(revoke(&stack, secret, &admin.key.prefix).await.status, 403);
    }
    let listed = list(&stack, &admin.plaintext).await;
    assert_eq!(listed.body["count"], 3, "nothing was created by the refused calls: {}", listed.body);
    assert_eq!(whoami(&stack, &admin.plaintext).await.status, 200, "the admin key was not revoked");
}

#[tokio::test]
async fn another_workspace_cannot_see_or_revoke_keys() {
    let stack = TestStack::new().await;
    let first = stack.workspace("First").await;
    let second = stack.workspace("Second").await;

    let listed = list(&stack, &second.plaintext).await;
    assert_eq!(prefixes(&listed), vec![second.key.prefix.clone()]);

    let revoked = revoke(&stack, &second.plaintext, &first.key.prefix).await;
    assert_eq!(revoked.status, 404, "{}", revoked.body);
    assert_eq!(revoked.error_code(), "not_found");
    assert_eq!(whoami(&stack, &first.plaintext).await.status, 200, "the first workspace's key still works");
}

#[tokio::test]
async fn a_revoked_key_stops_working_at_once() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    let created = create(&stack, &admin.plaintext, json!({"name": "temp", "role": "read"})).await;
    let (prefix, secret) =
        (created.body["prefix"].as_str().unwrap_or_default(), created.body["keySecret"].as_str().unwrap_or_default());

    let revoked = revoke(&stack, &admin.plaintext, prefix).await;
    assert_eq!(revoked.status, 204);
    assert_eq!(revoked.body, Value::Null, "204 has no body");

    assert_eq!(whoami(&stack, secret).await.status, 401);
    assert_eq!(revoke(&stack, &admin.plaintext, prefix).await.status, 404, "revoking twice is 404");
    assert!(!prefixes(&list(&stack, &admin.plaintext).await).contains(&prefix.to_owned()));
}

#[tokio::test]
async fn a_key_cannot_revoke_itself_so_a_workspace_keeps_an_admin_key() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;

    let refused = revoke(&stack, &admin.plaintext, &admin.key.prefix).await;

    assert_eq!(refused.status, 409, "{}", refused.body);
    assert_eq!(refused.error_code(), "conflict");
    assert_eq!(whoami(&stack, &admin.plaintext).await.status, 200);
}

#[tokio::test]
async fn keys_are_listed_page_by_page() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    for n in 0..4 {
        let created = create(&stack, &admin.plaintext, json!({"name": format!("key {n}"), "role": "read"})).await;
        assert_eq!(created.status, 201);
    }

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let mut request = ApiCall::fixture("list-api-keys").key(&admin.plaintext).query("limit", "2");
        if let Some(cursor) = &cursor {
            request = request.query("cursor", cursor);
        }
        let page = call("list-api-keys", &stack.app, request).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body["count"].as_u64().is_some_and(|count| count <= 2));
        assert_eq!(page.body["previous"], Value::Null);
        seen.extend(prefixes(&page));
        match page.body["next"].as_str() {
            Some(next) => {
                assert!(next.starts_with("/api/v1/api-keys/?limit=2&cursor="), "{next}");
                cursor = next.split("cursor=").nth(1).map(str::to_owned);
            }
            None => break,
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 5, "every key once, across pages");
}
