//! Traffic split between a label and a version: 200 new conversations fall near the weights,
//! each keeps its version for its life (a label moved later does not move it), and the
//! versions-compared report counts what the conversations show.

use std::sync::atomic::{AtomicU64, Ordering};

use colloquy_domain::model::timestamp;
use colloquy_domain::ports::Clock;
use colloquy_functions::worker::Worker;
use colloquy_tests::{call, meta_payload, ApiCall};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, Request, ResponseTemplate};

use crate::agent_loop::{agent_loop, completion, Loop};
use crate::prompts::{create, prompt_id};

const CONVERSATIONS: usize = 200;

/// A message from contact `n` (its own number and wamid).
fn message_from(n: usize, nth: usize) -> String {
    meta_payload("text")
        .replace("4915112345678", &format!("49151{n:08}"))
        .replace("wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBDMEY0", &format!("wamid.SPLIT{n}x{nth}"))
}

/// The Graph stand-in gives every send its own wamid.
async fn mount(l: &Loop) {
    Mock::given(method("POST")).and(path("/v1/chat/completions")).respond_with(completion("ok")).mount(&l.llm).await;
    let sends = AtomicU64::new(0);
    Mock::given(method("POST"))
        .respond_with(move |_: &Request| {
            let n = sends.fetch_add(1, Ordering::Relaxed);
            ResponseTemplate::new(200)
                .set_body_json(json!({"messaging_product": "whatsapp", "messages": [{"id": format!("wamid.OUT{n}")}]}))
        })
        .mount(&l.graph)
        .await;
}

async fn api(l: &Loop, function: &str, request: ApiCall) -> Value {
    let answer = call(function, &l.inbox.stack.app, request.key(&l.inbox.key)).await;
    assert!(answer.status < 300, "{function}: {} {}", answer.status, answer.body);
    answer.body
}

/// Every conversation's id and the versions its replies were written with.
async fn versions_by_conversation(l: &Loop) -> Vec<(String, Vec<u64>)> {
    let mut found = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut request = ApiCall::fixture("list-conversations").query("limit", "100");
        if let Some(cursor) = &cursor {
            request = request.query("cursor", cursor);
        }
        let page = api(l, "list-conversations", request).await;
        for conversation in page["results"].as_array().into_iter().flatten() {
            let id = conversation["id"].as_str().unwrap_or_default().to_owned();
            let listed = ApiCall::fixture("list-conversation-messages").path_param("id", &id).query("limit", "100");
            let messages = api(l, "list-conversation-messages", listed).await;
            let versions = messages["results"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|m| m["direction"] == "outbound")
                .filter_map(|m| m["promptUsed"]["version"].as_u64())
                .collect();
            found.push((id, versions));
        }
        cursor = page["next"].as_str().and_then(|next| next.split("cursor=").nth(1)).map(str::to_owned);
        if cursor.is_none() {
            return found;
        }
    }
}

#[tokio::test]
async fn a_split_spreads_new_conversations_by_weight_and_each_keeps_its_version() {
    let l = agent_loop().await;
    mount(&l).await;
    let stack = &l.inbox.stack;
    assert_eq!(create(stack, &l.inbox.key, "support", "You are v2.").await.status, 201);
    let prompt = prompt_id(stack, &l.inbox.key, "support").await;
    let label = |version: u64| {
        ApiCall::fixture("move-prompt-label")
            .path_param("promptId", &prompt)
            .path_param("label", "production")
            .json(json!({"version": version}))
    };
    api(&l, "move-prompt-label", label(1)).await;
    let split = json!({"trafficSplit": {"arms": [{"promptLabel": "production", "weight": 70}, {"promptVersion": 2, "weight": 30}]}});
    let agent =
        api(&l, "update-agent", ApiCall::fixture("update-agent").path_param("id", &l.inbox.agent).json(split)).await;
    assert_eq!(agent["trafficSplit"]["arms"][1], json!({"promptVersion": 2, "weight": 30}), "{agent}");

    for n in 0..CONVERSATIONS {
        l.inbox.deliver(&message_from(n, 0)).await;
    }
    l.run_worker().await;

    let first = versions_by_conversation(&l).await;
    assert_eq!(first.len(), CONVERSATIONS);
    assert!(first.iter().all(|(_, versions)| versions.len() == 1), "one reply each");
    let on_v1 = first.iter().filter(|(_, versions)| versions == &[1]).count();
    let share = on_v1 as f64 / CONVERSATIONS as f64;
    assert!((0.58..=0.82).contains(&share), "70% expected on the label's version, got {share}");

    // The label moves to version 2: conversations already on version 1 stay there.
    api(&l, "move-prompt-label", label(2)).await;
    let fresh = Worker::new(stack.app.clone());
    for n in 0..10 {
        l.inbox.deliver(&message_from(n, 1)).await;
    }
    l.source.drain(&fresh, 20).await.expect("worker runs");

    let second = versions_by_conversation(&l).await;
    let answered_twice: Vec<&Vec<u64>> = second.iter().map(|(_, v)| v).filter(|v| v.len() == 2).collect();
    assert_eq!(answered_twice.len(), 10);
    assert!(answered_twice.iter().all(|v| v[0] == v[1]), "sticky: {answered_twice:?}");

    let compared = api(
        &l,
        "compare-agent-versions",
        ApiCall::fixture("compare-agent-versions")
            .path_param("id", &l.inbox.agent)
            .query("from", "2020-01-01T00:00:00Z")
            .query("to", "2020-03-01T00:00:00Z"),
    )
    .await;
    assert_eq!(compared["conversationsExamined"], 0, "nothing started then: {compared}");
    let now = stack.clock.now();
    let around_now = ApiCall::fixture("compare-agent-versions")
        .path_param("id", &l.inbox.agent)
        .query("from", &timestamp::format(now - time::Duration::hours(1)))
        .query("to", &timestamp::format(now + time::Duration::hours(1)));
    let compared = api(&l, "compare-agent-versions", around_now).await;
    let figures = |version: u64| {
        compared["versions"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|v| v["version"] == json!(version))
            .cloned()
            .unwrap_or_default()
    };
    let replies_on = |version: u64| second.iter().flat_map(|(_, v)| v).filter(|&&v| v == version).count();
    assert_eq!(compared["conversationsExamined"], json!(CONVERSATIONS));
    assert_eq!(figures(1)["conversations"], json!(on_v1), "{compared}");
    assert_eq!(figures(2)["conversations"], json!(CONVERSATIONS - on_v1));
    assert_eq!(figures(1)["replies"], json!(replies_on(1)));
    assert_eq!(figures(2)["replies"], json!(replies_on(2)));
    assert_eq!(figures(2)["labels"], json!(["production"]), "the label points at version 2 now");
    assert_eq!(figures(1)["tokensPerConversation"].as_f64(), Some(49.0 * replies_on(1) as f64 / on_v1 as f64));
}

#[tokio::test]
async fn a_split_names_only_what_the_prompt_has() {
    let l = agent_loop().await;
    let patch = |body: Value| {
        call(
            "update-agent",
            &l.inbox.stack.app,
            ApiCall::fixture("update-agent").key(&l.inbox.key).path_param("id", &l.inbox.agent).json(body),
        )
    };

    let no_label = patch(
        json!({"trafficSplit": {"arms": [{"promptLabel": "canary", "weight": 1}, {"promptVersion": 1, "weight": 1}]}}),
    )
    .await;
    let no_version = patch(
        json!({"trafficSplit": {"arms": [{"promptVersion": 1, "weight": 1}, {"promptVersion": 7, "weight": 1}]}}),
    )
    .await;
    let one_arm = patch(json!({"trafficSplit": {"arms": [{"promptVersion": 1, "weight": 1}]}})).await;
    let ended = patch(json!({"trafficSplit": null})).await;

    assert_eq!(
        (no_label.status, no_label.error_field()),
        (400, Some("trafficSplit.arms[0].promptLabel")),
        "{}",
        no_label.body
    );
    assert_eq!((no_version.status, no_version.error_field()), (400, Some("trafficSplit.arms[1].promptVersion")));
    assert_eq!((one_arm.status, one_arm.error_field()), (400, Some("trafficSplit.arms")));
    assert_eq!((ended.status, &ended.body["trafficSplit"]), (200, &Value::Null));
}
