//! The operators' metrics: every function writes CloudWatch embedded-metric-format lines, one
//! per thing that happened, with bounded dimensions and the workspace as a property.

use std::sync::{Arc, Mutex};

use colloquy_adapters::emf::{EmfMetrics, Sink, NAMESPACE};
use colloquy_functions::worker::Worker;
use colloquy_tests::meta_payload;
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::agent_loop::{agent_loop, sent, Loop};
use crate::tool_loop::{tool_calls, tool_loop};

/// Metrics of the loop's app go to a buffer (its Graph calls counted too, as on Lambda); a
/// worker that records into it.
fn measured(l: &mut Loop) -> (Arc<Mutex<Vec<String>>>, Worker) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let metrics = Arc::new(EmfMetrics::new("agent-worker", Sink::Buffer(lines.clone())));
    l.inbox.stack.app = l.inbox.stack.app.clone().with_metrics(metrics);
    (lines, Worker::new(l.inbox.stack.app.clone()))
}

/// Every line, parsed and checked as CloudWatch reads it: the namespace, one dimension set whose
/// names are string members (the function first, never the workspace), and each metric a number.
fn documents(lines: &Arc<Mutex<Vec<String>>>) -> Vec<Value> {
    let lines = lines.lock().map(|l| l.clone()).unwrap_or_default();
    lines
        .iter()
        .map(|line| {
            let document: Value = serde_json::from_str(line).unwrap_or_else(|err| panic!("{err}: {line}"));
            let directive = &document["_aws"]["CloudWatchMetrics"][0];
            assert_eq!(directive["Namespace"], NAMESPACE, "{line}");
            assert!(document["_aws"]["Timestamp"].as_i64().is_some_and(|t| t > 1_700_000_000_000), "{line}");
            for set in directive["Dimensions"].as_array().into_iter().flatten() {
                let dimensions = set.as_array().cloned().unwrap_or_default();
                assert_eq!(dimensions.first(), Some(&json!("function")), "{line}");
                for name in &dimensions {
                    let name = name.as_str().unwrap_or_default();
                    assert!(document[name].is_string(), "dimension {name} is a string member: {line}");
                    assert_ne!(name, "workspace", "the workspace is a property, not a dimension");
                }
            }
            for metric in directive["Metrics"].as_array().into_iter().flatten() {
                let name = metric["Name"].as_str().unwrap_or_default();
                assert!(document[name].is_number(), "metric {name} is a number: {line}");
                assert!(["Count", "Milliseconds"].contains(&metric["Unit"].as_str().unwrap_or_default()), "{line}");
            }
            assert!(document["workspace"].is_string(), "the workspace is a property: {line}");
            document
        })
        .collect()
}

fn find<'a>(documents: &'a [Value], measurement: &str, pairs: &[(&str, &str)]) -> Option<&'a Value> {
    documents.iter().find(|d| d["measurement"] == measurement && pairs.iter().all(|(k, v)| d[*k] == *v))
}

#[tokio::test]
async fn a_reply_is_counted_with_its_message_its_llm_call_and_its_tokens() {
    let mut l = agent_loop().await;
    let (lines, worker) = measured(&mut l);
    l.mount_ok("Yes, it is free.").await;

    l.inbox.deliver(&meta_payload("text")).await;
    l.source.drain(&worker, 20).await.expect("worker runs");

    let documents = documents(&lines);
    assert!(
        find(&documents, "Inbound", &[("type", "text")]).is_some_and(|d| d["InboundMessages"] == 1.0),
        "{documents:?}"
    );
    let call =
        find(&documents, "LlmCall", &[("provider", "openai"), ("outcome", "answered")]).cloned().unwrap_or_default();
    assert_eq!(
        (&call["InputTokens"], &call["OutputTokens"], &call["LlmCalls"]),
        (&json!(42.0), &json!(7.0), &json!(1.0)),
        "{call}"
    );
    assert!(call["LlmLatency"].as_f64().is_some_and(|ms| ms >= 0.0));
    let reply = find(&documents, "Reply", &[("outcome", "sent"), ("reason", "none")]).cloned().unwrap_or_default();
    assert_eq!((&reply["Replies"], &reply["function"]), (&json!(1.0), &json!("agent-worker")), "{documents:?}");
    assert_eq!(
        reply["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        json!([["function", "outcome", "reason"], ["function", "outcome"]]),
        "by reason, and by outcome alone for the failure-rate alarm"
    );
    assert!(reply["SendLatency"].as_f64().is_some_and(|ms| ms >= 0.0), "{reply}");
    let trigger = find(&documents, "Trigger", &[("kind", "inbound_message"), ("receive", "first")]);
    assert!(trigger.is_some_and(|t| t["QueueWait"].as_f64().is_some_and(|ms| ms >= 0.0)), "{documents:?}");
    let workspace = l.inbox.stack.app_workspace(&l.inbox.key).await;
    assert!(documents.iter().all(|d| d["workspace"] == workspace.as_str()), "every line names its workspace");
}

#[tokio::test]
async fn a_reply_that_cannot_be_made_is_counted_failed_with_its_reason_and_the_llm_error_by_class() {
    let mut l = agent_loop().await;
    let (lines, worker) = measured(&mut l);
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(400).set_body_string("unknown model"))
        .mount(&l.llm)
        .await;
    Mock::given(method("POST")).respond_with(sent("wamid.NEVER")).mount(&l.graph).await;

    l.inbox.deliver(&meta_payload("text")).await;
    l.source.drain(&worker, 20).await.expect("worker runs");

    let documents = documents(&lines);
    let error = find(&documents, "LlmCall", &[("outcome", "refused")]);
    assert!(error.is_some_and(|e| e["LlmErrors"] == 1.0 && e["provider"] == "openai"), "{documents:?}");
    assert!(find(&documents, "Reply", &[("outcome", "failed"), ("reason", "llm_refused")]).is_some(), "{documents:?}");
    assert!(find(&documents, "Reply", &[("outcome", "sent")]).is_none());
}

#[tokio::test]
async fn a_tool_call_is_counted_by_status_with_the_tools_latency() {
    let mut t = tool_loop(json!({}), tool_calls(&[("call_1", "book_viewing", json!({"day": "Saturday"}))])).await;
    Mock::given(method("POST"))
        .and(path("/tools/book"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string("booked").set_delay(std::time::Duration::from_millis(50)),
        )
        .mount(&t.receiver)
        .await;
    let (lines, worker) = measured(&mut t.l);

    t.l.inbox.deliver(&meta_payload("text")).await;
    t.l.source.drain(&worker, 20).await.expect("worker runs");

    let documents = documents(&lines);
    let call = find(&documents, "ToolCall", &[("status", "succeeded")]).cloned().unwrap_or_default();
    assert_eq!(call["ToolCalls"], 1.0, "{documents:?}");
    assert!(call["ToolLatency"].as_f64().is_some_and(|ms| ms >= 50.0), "{call}");
    let llm_calls = documents.iter().filter(|d| d["measurement"] == "LlmCall").count();
    assert_eq!(llm_calls, 2, "the step's call and the answer's");
    assert!(find(&documents, "Reply", &[("outcome", "sent")]).is_some());
}

#[tokio::test]
async fn graph_calls_are_counted_by_meta_s_code_and_media_by_type_and_outcome() {
    let mut l = agent_loop().await;
    let (lines, worker) = measured(&mut l);
    let image = crate::media::fixture("payslip.jpg");
    crate::media::serve(&l, crate::media::IMAGE_ID, "image/jpeg", image.clone(), Some(image.len())).await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(crate::agent_loop::completion("Thanks, got it."))
        .mount(&l.llm)
        .await;
    let refusal = json!({"error": {"message": "Re-engagement message", "type": "OAuthException", "code": 131047}});
    // Every send is refused (the read receipt too).
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(400).set_body_json(refusal)).mount(&l.graph).await;

    l.inbox.deliver(&meta_payload("image")).await;
    l.source.drain(&worker, 20).await.expect("worker runs");

    let documents = documents(&lines);
    let refused = find(&documents, "GraphCall", &[("operation", "send"), ("outcome", "131047")]);
    assert!(refused.is_some_and(|d| d["GraphCalls"] == 1.0 && d["GraphLatency"].is_number()), "{documents:?}");
    assert!(find(&documents, "GraphCall", &[("operation", "media_info"), ("outcome", "ok")]).is_some());
    assert!(find(&documents, "GraphCall", &[("operation", "download"), ("outcome", "ok")]).is_some());
    let media = find(&documents, "Media", &[("type", "image"), ("outcome", "stored")]);
    assert!(media.is_some_and(|d| d["MediaProcessed"] == 1.0), "{documents:?}");
}
