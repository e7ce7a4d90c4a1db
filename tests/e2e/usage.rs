//! Token usage: every reply's tokens land in the day's counters, exactly, however many replies
//! are written at once.

use std::sync::Arc;

use colloquy_tests::{call, meta_payload, ApiCall};
use serde_json::json;

use colloquy_adapters::llm::{Endpoint, LlmClient};
use colloquy_functions::worker::Worker;

use crate::agent_loop::agent_loop;

#[tokio::test]
async fn counters_add_up_exactly_under_concurrent_replies() {
    let l = Arc::new(agent_loop().await);
    l.mount_ok("counted").await;
    // Four workers and moto share two cores here: a 2 s LLM time-out can pass under that load,
    // and a timed-out call is rightly made again. This test counts calls, so it waits longer.
    let mut app = l.inbox.stack.app.clone();
    let endpoint = Endpoint { base_url: format!("{}/v1", l.llm.uri()), api_key: "sk-test".into() };
    app.llm = Arc::new(LlmClient::new(Some(endpoint), None, std::time::Duration::from_secs(20)).expect("client"));
    let worker = Arc::new(Worker::new(app));
    let contacts = 12;
    for n in 0..contacts {
        let body = meta_payload("text")
            .replace("4915112345678", &format!("49151123456{n:02}"))
            .replace("wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBDMEY0", &format!("wamid.USAGE{n}"));
        assert_eq!(l.inbox.deliver(&body).await.status, 200);
    }

    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (l, worker) = (l.clone(), worker.clone());
            tokio::spawn(async move { l.source.drain(&worker, 20).await.expect("worker") })
        })
        .collect();
    for worker in workers {
        worker.await.expect("worker task");
    }
    // A worker stops at its first empty receive, which another's in-flight group can cause; a
    // turn deferred to its quiet period comes back a moment later. Drain until the queue is
    // settled (bounded), then count: each contact answered exactly once. (Under this load moto
    // may hand a turn to a second worker while the first still holds it — at-least-once, as SQS
    // may: the model can then be asked twice, but only one reply is written, sent and counted.)
    for _ in 0..50 {
        if l.texts_sent().await.len() >= contacts {
            break;
        }
        l.source.drain(&worker, 20).await.expect("worker");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }

    let mut answered: Vec<String> =
        l.texts_sent().await.iter().filter_map(|sent| sent["to"].as_str().map(str::to_owned)).collect();
    answered.sort();
    answered.dedup();
    assert_eq!((l.texts_sent().await.len(), answered.len()), (contacts, contacts), "each contact answered once");
    let request = ApiCall::fixture("get-usage").key(&l.inbox.key).query("from", "2000-01-01").query("to", "2099-12-31");
    let too_wide = call("get-usage", &l.inbox.stack.app, request).await;
    assert_eq!((too_wide.status, too_wide.error_field()), (400, Some("from")), "a range over a year is refused");
    let today = colloquy_domain::usage::model::day_of(colloquy_domain::ports::Clock::now(l.inbox.stack.clock.as_ref()));
    for group in ["day", "agent"] {
        let request = ApiCall::fixture("get-usage")
            .key(&l.inbox.key)
            .query("from", &today)
            .query("to", &today)
            .query("groupBy", group);
        let report = call("get-usage", &l.inbox.stack.app, request).await;
        assert_eq!(report.status, 200, "{}", report.body);
        let expected = json!({"inputTokens": 42 * contacts, "cachedInputTokens": 0, "outputTokens": 7 * contacts, "calls": contacts,
            "analysisInputTokens": 0, "analysisOutputTokens": 0, "analysisCalls": 0, "transcribedSeconds": 0,
            "testInputTokens": 0, "testOutputTokens": 0, "testCalls": 0});
        assert_eq!(report.body["totals"], expected, "{}", report.body);
        assert_eq!(report.body["results"].as_array().map(Vec::len), Some(1), "{}", report.body);
    }
    let stranger = l.inbox.stack.workspace("Stranger").await;
    let theirs = call(
        "get-usage",
        &l.inbox.stack.app,
        ApiCall::fixture("get-usage").key(&stranger.plaintext).query("from", &today).query("to", &today),
    )
    .await;
    assert_eq!(theirs.body["totals"]["calls"], 0, "another workspace sees its own usage only");
}
