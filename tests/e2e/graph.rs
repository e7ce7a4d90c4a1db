//! The Graph client against wiremock: what is sent, and Meta's errors typed by whether a retry helps.

use colloquy::ports::{GraphError, Outbound};
use colloquy_tests::graph_client;
use serde_json::json;
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::conversations::meta_error;

#[tokio::test]
async fn a_text_send_posts_meta_s_shape_and_returns_the_wamid() {
    let graph = MockServer::start().await;
    let expected = json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "4915112345678", "type": "text", "text": {"preview_url": false, "body": "Hello"}});
    Mock::given(method("POST"))
        .and(path("/v23.0/123/messages"))
        .and(body_json(&expected))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"messages": [{"id": "wamid.TEXT"}]})))
        .mount(&graph)
        .await;

    let wamid = graph_client(&graph.uri())
        .send("123", &Outbound::Text { to: "4915112345678".into(), body: "Hello".into() })
        .await;

    assert_eq!(wamid, Ok("wamid.TEXT".to_owned()));
}

#[tokio::test]
async fn meta_s_errors_say_whether_a_retry_can_help() {
    let cases = [(131047, false), (131026, false), (130429, true), (131056, true), (80007, true), (100, false)];
    for (code, retryable) in cases {
        let graph = MockServer::start().await;
        Mock::given(method("POST")).respond_with(meta_error(code, "nope")).mount(&graph).await;
        let err = graph_client(&graph.uri()).send("1", &Outbound::Text { to: "1".into(), body: "x".into() }).await;
        let err = err.expect_err("Meta refused");
        assert_eq!((err.code(), err.is_retryable()), (Some(code), retryable), "{err}");
    }
    let graph = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream"))
        .mount(&graph)
        .await;
    let err = graph_client(&graph.uri())
        .send("1", &Outbound::Text { to: "1".into(), body: "x".into() })
        .await
        .expect_err("503");
    assert!(err.is_retryable(), "5xx is worth a retry: {err}");
}

#[tokio::test]
async fn a_slow_graph_is_a_time_out() {
    let graph = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(std::time::Duration::from_secs(3)))
        .mount(&graph)
        .await;

    let err = graph_client(&graph.uri()).mark_read("1", "wamid.X").await;

    assert_eq!(err, Err(GraphError::Timeout));
}
