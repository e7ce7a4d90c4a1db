//! The Graph client against wiremock: what is sent, and Meta's errors typed by whether a retry helps.

use colloquy_domain::ports::{DownloadError, GraphError, Outbound, Secret, Sender};
use colloquy_tests::graph_client;
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::conversations::meta_error;

fn from(phone_number_id: &str) -> Sender {
    Sender {
        phone_number_id: phone_number_id.into(),
        token: Secret(colloquy_tests::TEST_TOKEN.into()),
        workspace_id: "ws_graph".into(),
    }
}

#[tokio::test]
async fn a_text_send_posts_meta_s_shape_and_returns_the_wamid() {
    let graph = MockServer::start().await;
    let expected = json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "4915112345678", "type": "text", "text": {"preview_url": false, "body": "Hello"}});
    Mock::given(method("POST"))
        .and(path("/v23.0/123/messages"))
        .and(header("authorization", "Bearer test-token"))
        .and(body_json(&expected))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"messages": [{"id": "wamid.TEXT"}]})))
        .mount(&graph)
        .await;

    let wamid = graph_client(&graph.uri())
        .send(&from("123"), &Outbound::Text { to: "4915112345678".into(), body: "Hello".into(), callback: None })
        .await;

    assert_eq!(wamid, Ok("wamid.TEXT".to_owned()));
}

#[tokio::test]
async fn a_media_download_sends_the_numbers_token_only_to_meta() {
    let graph = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v23.0/555"))
        .and(header("authorization", "Bearer test-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "555", "url": "https://collector.example.com/steal", "mime_type": "image/jpeg", "file_size": "12"
        })))
        .mount(&graph)
        .await;
    let client = graph_client(&graph.uri());

    let info = client.media_info(&from("123"), "555").await.expect("media info");
    assert_eq!(
        (info.file_size, info.mime_type.as_deref()),
        (Some(12), Some("image/jpeg")),
        "a size sent as a string is read"
    );
    let refused = client.download_media(&from("123"), &info.url, 1024).await;
    assert_eq!(refused, Err(DownloadError::Refused("collector.example.com".into())));
    for url in ["http://lookaside.fbsbx.com/x", "https://fbsbx.com.example.org/x", "not a url"] {
        assert!(
            matches!(client.download_media(&from("123"), url, 1024).await, Err(DownloadError::Refused(_))),
            "{url} is refused"
        );
    }
    let odd_ids = client.media_info(&from("123"), "../123/messages").await;
    assert!(matches!(odd_ids, Err(GraphError::Api { code: 100, .. })), "an id cannot change the path");
}

#[tokio::test]
async fn meta_s_errors_say_whether_a_retry_can_help() {
    let cases = [(131047, false), (131026, false), (130429, true), (131056, true), (80007, true), (100, false)];
    for (code, retryable) in cases {
        let graph = MockServer::start().await;
        Mock::given(method("POST")).respond_with(meta_error(code, "nope")).mount(&graph).await;
        let err = graph_client(&graph.uri())
            .send(&from("1"), &Outbound::Text { to: "1".into(), body: "x".into(), callback: None })
            .await;
        let err = err.expect_err("Meta refused");
        assert_eq!((err.code(), err.is_retryable()), (Some(code), retryable), "{err}");
    }
    let graph = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream"))
        .mount(&graph)
        .await;
    let err = graph_client(&graph.uri())
        .send(&from("1"), &Outbound::Text { to: "1".into(), body: "x".into(), callback: None })
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

    let err = graph_client(&graph.uri()).mark_read(&from("1"), "wamid.X").await;

    assert_eq!(err, Err(GraphError::Timeout));
    assert!(err.err().is_some_and(|e| e.may_have_arrived()), "a time-out's request may have reached Meta");
}

#[tokio::test]
async fn a_refused_connection_sent_nothing_and_a_send_names_its_part() {
    // A port nothing listens on: the connection is refused before anything is sent.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port");
    let text = Outbound::Text { to: "1".into(), body: "x".into(), callback: Some("c:m:0".into()) };
    let err = graph_client(&format!("http://{closed}")).send(&from("1"), &text).await.expect_err("refused");
    assert!(matches!(err, GraphError::Network(_)) && !err.may_have_arrived(), "{err:?}");

    let graph = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"messages": [{"id": "wamid.1"}]})))
        .mount(&graph)
        .await;
    graph_client(&graph.uri()).send(&from("1"), &text).await.expect("sent");
    let requests = graph.received_requests().await.unwrap_or_default();
    let body: serde_json::Value = serde_json::from_slice(&requests[0].body).unwrap_or_default();
    assert_eq!(body["biz_opaque_callback_data"], "c:m:0", "Meta echoes it in the part's statuses");
}

mod llm {
    use std::time::Duration;

    use colloquy_adapters::llm::{Endpoint, LlmClient};
    use colloquy_domain::model::Provider;
    use colloquy_domain::ports::{ChatRequest, ChatRole, ChatTurn, ImageInput, Llm, LlmError};
    use serde_json::json;
    use wiremock::matchers::{body_json, header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn request(provider: Provider) -> ChatRequest {
        ChatRequest {
            provider,
            model: "claude-sonnet-4-5".into(),
            system: "Be brief.".into(),
            turn_context: String::new(),
            turns: vec![ChatTurn::text(ChatRole::User, "Hi")],
            temperature: colloquy_domain::model::Temperature::within(0.3, 1.0).ok(),
            max_tokens: 256,
            json: false,
            tools: Vec::new(),
        }
    }

    /// The system prompt as Anthropic is sent it: one text block, the end of the cached prefix.
    fn cached_system() -> serde_json::Value {
        json!([{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}])
    }

    #[tokio::test]
    async fn anthropic_messages_are_asked_and_read_with_their_usage() {
        let server = MockServer::start().await;
        let expected = json!({"model": "claude-sonnet-4-5", "system": cached_system(), "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 256, "temperature": 0.3});
        Mock::given(method("POST"))
            .and(path("/v1/messages"))
            .and(header("x-api-key", "sk-ant-test"))
            .and(header("anthropic-version", "2023-06-01"))
            .and(body_json(&expected))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
                "content": [{"type": "text", "text": "Hello!"}],
                "usage": {"input_tokens": 12, "output_tokens": 3}
            })))
            .mount(&server)
            .await;
        let anthropic = Endpoint { base_url: server.uri(), api_key: "sk-ant-test".into() };
        let client = LlmClient::new(None, Some(anthropic), Duration::from_secs(2)).expect("client");

        let reply = client.complete(&request(Provider::Anthropic)).await.expect("reply");

        assert_eq!(
            (reply.text.as_str(), reply.input_tokens, reply.cached_input_tokens, reply.output_tokens),
            ("Hello!", 12, 0, 3)
        );
        assert_eq!(client.complete(&request(Provider::Openai)).await, Err(LlmError::NotConfigured(Provider::Openai)));
    }

    #[tokio::test]
    async fn an_image_goes_to_anthropic_as_an_image_block_before_the_text() {
        let server = MockServer::start().await;
        let expected = json!({"model": "claude-sonnet-4-5", "system": cached_system(), "max_tokens": 256, "temperature": 0.3,
            "messages": [{"role": "user", "content": [
                {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/AA=="}},
                {"type": "text", "text": "[image attached with the caption: My payslip]"}]}]});
        Mock::given(method("POST"))
            .and(path("/v1/messages"))
            .and(body_json(&expected))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "model": "claude-sonnet-4-5", "content": [{"type": "text", "text": "I see it."}],
                "usage": {"input_tokens": 900, "output_tokens": 4}
            })))
            .mount(&server)
            .await;
        let anthropic = Endpoint { base_url: server.uri(), api_key: "sk-ant-test".into() };
        let client = LlmClient::new(None, Some(anthropic), Duration::from_secs(2)).expect("client");
        let mut with_image = request(Provider::Anthropic);
        with_image.turns = vec![ChatTurn {
            images: vec![ImageInput { mime_type: "image/jpeg".into(), base64: "/9j/AA==".into() }],
            ..ChatTurn::text(ChatRole::User, "[image attached with the caption: My payslip]")
        }];

        let reply = client.complete(&with_image).await.expect("the image block is what Anthropic was sent");

        assert_eq!(reply.text, "I see it.");
    }

    #[tokio::test]
    async fn anthropic_marks_the_last_tool_and_the_system_prompt_and_counts_cache_reads_apart() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v1/messages"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "model": "claude-sonnet-4-5", "content": [{"type": "text", "text": "Hi again."}],
                "usage": {"input_tokens": 30, "cache_read_input_tokens": 1800, "cache_creation_input_tokens": 200, "output_tokens": 5}
            })))
            .mount(&server)
            .await;
        let anthropic = Endpoint { base_url: server.uri(), api_key: "sk-ant-test".into() };
        let client = LlmClient::new(None, Some(anthropic), Duration::from_secs(2)).expect("client");
        let tool = |name: &str| colloquy_domain::ports::ToolSpec {
            name: name.into(),
            description: "A tool.".into(),
            parameters: json!({"type": "object"}),
        };
        let mut asked = request(Provider::Anthropic);
        asked.tools = vec![tool("book_viewing"), tool("handoff_to_human")];
        asked.turns.push(ChatTurn::text(ChatRole::Assistant, "Hello!"));
        asked.turns.push(ChatTurn::text(ChatRole::User, "Is it free?"));

        let reply = client.complete(&asked).await.expect("reply");

        assert_eq!((reply.input_tokens, reply.cached_input_tokens), (2030, 1800), "reads and writes are input too");
        let requests = server.received_requests().await.unwrap_or_default();
        let sent: serde_json::Value = serde_json::from_slice(&requests[0].body).expect("JSON");
        assert_eq!(sent["system"], cached_system());
        assert!(sent["tools"][0].get("cache_control").is_none(), "{sent}");
        assert_eq!(sent["tools"][1]["cache_control"], json!({"type": "ephemeral"}), "the tools end the cached prefix");
        assert!(!sent["messages"].to_string().contains("cache_control"), "the turns change: no marker there");
    }

    #[tokio::test]
    async fn a_turns_own_context_goes_to_anthropic_after_the_cached_instructions() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v1/messages"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "model": "claude-sonnet-4-5", "content": [{"type": "text", "text": "Tuesday."}],
                "usage": {"input_tokens": 30, "output_tokens": 2}
            })))
            .mount(&server)
            .await;
        let anthropic = Endpoint { base_url: server.uri(), api_key: "sk-ant-test".into() };
        let client = LlmClient::new(None, Some(anthropic), Duration::from_secs(2)).expect("client");
        let asked = request(Provider::Anthropic).with_turn_context("Bins: Tuesday mornings.".into());

        client.complete(&asked).await.expect("reply");

        let requests = server.received_requests().await.unwrap_or_default();
        let sent: serde_json::Value = serde_json::from_slice(&requests[0].body).expect("JSON");
        assert_eq!(
            sent["system"],
            json!([
                {"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}},
                {"type": "text", "text": "Bins: Tuesday mornings."}
            ]),
            "the instructions stay the cached prefix; the turn's context comes after the breakpoint"
        );
    }

    #[tokio::test]
    async fn openai_compatible_providers_report_their_cached_tokens_within_the_prompt_tokens() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/chat/completions"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "model": "gpt-4o-mini", "choices": [{"index": 0, "message": {"role": "assistant", "content": "Yes."}}],
                "usage": {"prompt_tokens": 2006, "completion_tokens": 4, "prompt_tokens_details": {"cached_tokens": 1920}}
            })))
            .mount(&server)
            .await;
        let openai = Endpoint { base_url: server.uri(), api_key: "k".into() };
        let client = LlmClient::new(Some(openai), None, Duration::from_secs(2)).expect("client");

        let reply = client.complete(&request(Provider::Openai)).await.expect("reply");

        assert_eq!((reply.input_tokens, reply.cached_input_tokens, reply.output_tokens), (2006, 1920, 4));
        let requests = server.received_requests().await.unwrap_or_default();
        assert!(!String::from_utf8_lossy(&requests[0].body).contains("cache"), "no marker: the provider caches alone");
    }

    #[tokio::test]
    async fn llm_errors_say_whether_a_retry_can_help() {
        for (status, retryable) in [(429, true), (500, true), (503, true), (400, false), (401, false)] {
            let server = MockServer::start().await;
            Mock::given(method("POST")).respond_with(ResponseTemplate::new(status)).mount(&server).await;
            let openai = Endpoint { base_url: server.uri(), api_key: "k".into() };
            let client = LlmClient::new(Some(openai), None, Duration::from_secs(2)).expect("client");
            let err = client.complete(&request(Provider::Openai)).await.expect_err("refused");
            assert_eq!(err.is_retryable(), retryable, "{status}: {err}");
        }
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
            .mount(&server)
            .await;
        let openai = Endpoint { base_url: server.uri(), api_key: "k".into() };
        let client = LlmClient::new(Some(openai), None, Duration::from_millis(500)).expect("client");
        assert_eq!(client.complete(&request(Provider::Openai)).await, Err(LlmError::Timeout));
    }

    /// The local Anthropic stand-in (what the request benchmark's caching figure rests on)
    /// applies Anthropic's rules.
    mod anthropic_standin {
        use colloquy_tools::anthropic_standin::{answer, MIN_CACHED_TOKENS};
        use serde_json::{json, Value};

        fn usage_of(request: &Value) -> Value {
            let response = answer(request.to_string().as_bytes());
            serde_json::from_slice::<Value>(response.body().as_ref()).unwrap_or_default()["usage"].clone()
        }

        fn request(system: &str, marked: bool) -> Value {
            let mut block = json!({"type": "text", "text": system});
            if marked {
                block["cache_control"] = json!({"type": "ephemeral"});
            }
            json!({"system": [block], "messages": [{"role": "user", "content": "Hi"}]})
        }

        #[test]
        fn a_marked_prefix_is_written_once_then_read_and_an_unmarked_or_short_one_never() {
            let long = format!("A long prompt, unique to this test. {}", "Rules. ".repeat(800));
            let first = usage_of(&request(&long, true));
            let second = usage_of(&request(&long, true));
            assert_eq!(first["cache_read_input_tokens"], 0);
            assert!(first["cache_creation_input_tokens"].as_u64().is_some_and(|n| n >= MIN_CACHED_TOKENS as u64));
            assert_eq!(second["cache_read_input_tokens"], first["cache_creation_input_tokens"]);
            assert_eq!(second["cache_creation_input_tokens"], 0);
            assert!(second["input_tokens"].as_u64().is_some_and(|n| n > 0 && n < 20), "the turns are not cached");

            let unmarked = usage_of(&request(&format!("Another. {long}"), false));
            let short = usage_of(&request("Be brief.", true));
            for usage in [unmarked, short] {
                assert_eq!(
                    (&usage["cache_read_input_tokens"], &usage["cache_creation_input_tokens"]),
                    (&json!(0), &json!(0))
                );
            }
        }
    }
}
