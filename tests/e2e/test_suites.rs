//! Test suites as a resource: the fixture's suite (the issue's own shape, every expectation kind)
//! is stored and read back as written; problems name their field; concurrent changes of
//! different fields both survive; another workspace's suites are 404 and a read key changes
//! nothing; changes are audited.

use colloquy_domain::model::Role;
use colloquy_tests::{call, Answer, ApiCall, TestStack};
use serde_json::{json, Value};

struct Suites {
    stack: TestStack,
    key: String,
}

impl Suites {
    async fn new() -> Self {
        let stack = TestStack::new().await;
        let key = stack.workspace("Acme").await.plaintext;
        Self { stack, key }
    }

    async fn send(&self, function: &str, request: ApiCall) -> Answer {
        call(function, &self.stack.app, request).await
    }

    async fn create(&self, key: &str, body: Value) -> Answer {
        self.send("create-test-suite", ApiCall::fixture("create-test-suite").key(key).json(body)).await
    }

    async fn get(&self, key: &str, id: &str) -> Answer {
        self.send("get-test-suite", ApiCall::fixture("get-test-suite").key(key).path_param("id", id)).await
    }

    async fn patch(&self, key: &str, id: &str, body: Value) -> Answer {
        self.send("update-test-suite", ApiCall::fixture("update-test-suite").key(key).path_param("id", id).json(body))
            .await
    }

    async fn delete(&self, key: &str, id: &str) -> Answer {
        self.send("delete-test-suite", ApiCall::fixture("delete-test-suite").key(key).path_param("id", id)).await
    }

    /// The fixture's suite, created; its id.
    async fn fixture_suite(&self) -> String {
        let created = self.create(&self.key, ApiCall::fixture("create-test-suite").body_json()).await;
        assert_eq!(created.status, 201, "{}", created.body);
        created.body["id"].as_str().unwrap_or_default().to_owned()
    }
}

fn fixture_scenarios() -> Value {
    ApiCall::fixture("create-test-suite").body_json()["scenarios"].clone()
}

/// `passMark` is a number: 7 is written back as 7.0.
fn normalised(mut scenarios: Value) -> Value {
    for scenario in scenarios.as_array_mut().into_iter().flatten() {
        for expectation in scenario["expect"].as_array_mut().into_iter().flatten() {
            if let Some(mark) = expectation.pointer_mut("/judge/passMark") {
                *mark = json!(mark.as_f64());
            }
        }
    }
    scenarios
}

#[tokio::test]
async fn the_fixtures_suite_is_stored_and_read_back_as_written() {
    let suites = Suites::new().await;
    let id = suites.fixture_suite().await;

    let read = suites.get(&suites.key, &id).await;
    let listed = suites.send("list-test-suites", ApiCall::fixture("list-test-suites").key(&suites.key)).await;

    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(
        (&read.body["name"], &read.body["description"]),
        (&json!("Leasing basics"), &json!("What every leasing prompt must do"))
    );
    let mut expected = normalised(fixture_scenarios());
    // What was left out is shown with its default.
    expected[0]["approvals"] = json!("approve");
    assert_eq!(read.body["scenarios"][0], expected[0]);
    assert_eq!(read.body["scenarios"][1]["simulate"], expected[1]["simulate"]);
    assert_eq!(read.body["scenarios"][1]["toolResults"], json!({}));
    assert_eq!(listed.body["count"], 1);
    assert_eq!(listed.body["results"][0]["id"], json!(id));
}

#[tokio::test]
async fn each_problem_names_its_field_and_nothing_is_stored() {
    let suites = Suites::new().await;
    let with = |change: &dyn Fn(&mut Value)| {
        let mut body = ApiCall::fixture("create-test-suite").body_json();
        change(&mut body);
        body
    };
    let cases = [
        (with(&|b| b["scenarios"] = json!([])), "scenarios"),
        (with(&|b| b["name"] = json!(" ")), "name"),
        (
            with(&|b| b["scenarios"][0]["expect"][2] = json!({"replyMatches": "(unclosed"})),
            "scenarios[0].expect[2].replyMatches",
        ),
        (with(&|b| b["scenarios"][1]["simulate"]["maxTurns"] = json!(50)), "scenarios[1].simulate.maxTurns"),
        (
            with(&|b| b["scenarios"][0]["expect"][5]["judge"]["passMark"] = json!(-1)),
            "scenarios[0].expect[5].judge.passMark",
        ),
        (with(&|b| b["scenarios"][0]["approvals"] = json!("sometimes")), "scenarios[0].approvals"),
    ];

    for (body, field) in cases {
        let refused = suites.create(&suites.key, body).await;
        assert_eq!((refused.status, refused.error_field()), (400, Some(field)), "{}", refused.body);
    }
    let listed = suites.send("list-test-suites", ApiCall::fixture("list-test-suites").key(&suites.key)).await;
    assert_eq!(listed.body["count"], 0);
}

#[tokio::test]
async fn concurrent_changes_of_different_fields_both_survive() {
    let suites = Suites::new().await;
    let id = suites.fixture_suite().await;
    let one_scenario = json!([{"name": "greets", "turns": ["Hi"], "expect": [{"replyMatches": "(?i)hello"}]}]);

    let (renamed, rescoped) = tokio::join!(
        suites.patch(&suites.key, &id, json!({"name": "Leasing, before production"})),
        suites.patch(&suites.key, &id, json!({"scenarios": one_scenario})),
    );

    assert_eq!((renamed.status, rescoped.status), (200, 200), "{} {}", renamed.body, rescoped.body);
    let read = suites.get(&suites.key, &id).await;
    assert_eq!(read.body["name"], "Leasing, before production");
    assert_eq!(read.body["scenarios"].as_array().map(Vec::len), Some(1), "{}", read.body);
    let unchanged = suites.patch(&suites.key, &id, json!({"scenarios": null})).await;
    assert_eq!((unchanged.status, unchanged.error_field()), (400, Some("scenarios")), "{}", unchanged.body);
}

#[tokio::test]
async fn another_workspaces_suites_are_404_and_a_read_key_changes_nothing() {
    let suites = Suites::new().await;
    let id = suites.fixture_suite().await;
    let stranger = suites.stack.workspace("Globex").await.plaintext;
    let reader = suites.stack.key_for(&suites.key, Role::Read).await;

    let their_get = suites.get(&stranger, &id).await;
    let their_patch = suites.patch(&stranger, &id, json!({"name": "mine now"})).await;
    let their_delete = suites.delete(&stranger, &id).await;
    let their_list = suites.send("list-test-suites", ApiCall::fixture("list-test-suites").key(&stranger)).await;
    let read_create = suites.create(&reader, ApiCall::fixture("create-test-suite").body_json()).await;
    let read_patch = suites.patch(&reader, &id, json!({"name": "x"})).await;
    let read_delete = suites.delete(&reader, &id).await;
    let read_get = suites.get(&reader, &id).await;

    assert_eq!((their_get.status, their_patch.status, their_delete.status), (404, 404, 404));
    assert_eq!(their_list.body["count"], 0);
    assert_eq!((read_create.status, read_patch.status, read_delete.status), (403, 403, 403));
    assert_eq!((read_get.status, &read_get.body["name"]), (200, &json!("Leasing basics")));
}

#[tokio::test]
async fn a_deleted_suite_is_gone_and_every_change_is_audited() {
    let suites = Suites::new().await;
    let id = suites.fixture_suite().await;
    assert_eq!(suites.patch(&suites.key, &id, json!({"description": "v2"})).await.status, 200);

    let deleted = suites.delete(&suites.key, &id).await;

    assert_eq!(deleted.status, 204);
    assert_eq!(suites.get(&suites.key, &id).await.status, 404);
    assert_eq!(suites.delete(&suites.key, &id).await.status, 404);
    let audit = suites.send("list-audit-log", ApiCall::fixture("list-audit-log").key(&suites.key)).await;
    let actions: Vec<(Value, Value)> = audit.body["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["action"].as_str().is_some_and(|a| a.starts_with("test_suite.")))
        .map(|e| (e["action"].clone(), e["target"].clone()))
        .collect();
    assert_eq!(actions.len(), 3, "{}", audit.body);
    assert!(actions.iter().all(|(_, target)| target == &json!(id)), "{actions:?}");
}
