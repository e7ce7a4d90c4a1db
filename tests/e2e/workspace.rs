use colloquy_tests::{call, ApiCall, TestStack};

#[tokio::test]
async fn the_key_s_workspace_is_returned_with_the_key_s_role() {
    let stack = TestStack::new().await;
    let issued = stack.workspace("Acme Support").await;

    let answer = call("get-workspace", &stack.app, ApiCall::fixture("get-workspace").key(&issued.plaintext)).await;

    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["id"], issued.key.workspace_id.as_str());
    assert_eq!(answer.body["name"], "Acme Support");
    assert_eq!(answer.body["apiKey"]["prefix"], issued.key.prefix);
    assert_eq!(answer.body["apiKey"]["role"], "admin");
    assert!(answer.body["createdAt"].as_str().is_some_and(|at| at.ends_with('Z')));
}

#[tokio::test]
async fn a_bearer_token_is_accepted_like_x_api_key() {
    let stack = TestStack::new().await;
    let issued = stack.workspace("Acme").await;

    let answer = call("get-workspace", &stack.app, ApiCall::fixture("get-workspace").bearer(&issued.plaintext)).await;

    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["id"], issued.key.workspace_id.as_str());
}

#[tokio::test]
async fn a_missing_or_wrong_key_is_401_with_a_json_error() {
    let stack = TestStack::new().await;
    let issued = stack.workspace("Acme").await;

    let missing = call("get-workspace", &stack.app, ApiCall::fixture("get-workspace").without_key()).await;
    assert_eq!(missing.status, 401);
    assert_eq!(missing.error_code(), "unauthenticated");
    assert!(missing.body["error"]["message"].as_str().unwrap_or_default().contains("X-API-Key"));

    let wrong = format!("{}x", issued.plaintext);
    let wrong = call("get-workspace", &stack.app, ApiCall::fixture("get-workspace").key(&wrong)).await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.error_code(), "unauthenticated");

    let not_bearer = ApiCall::fixture("get-workspace").without_key().body("").bearer("   ");
    let empty = call("get-workspace", &stack.app, not_bearer).await;
    assert_eq!(empty.status, 401);
}
