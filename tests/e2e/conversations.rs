//! Wassist's create-conversation against moto, with wiremock as the WhatsApp Graph API.

use colloquy_tests::{call, Answer, ApiCall, TestStack};
use serde_json::{json, Value};
use time::Duration;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::agents::agent_for;
use crate::webhook::PNID;

fn sent(wamid: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{"input": "4915112345678", "wa_id": "4915112345678"}],
        "messages": [{"id": wamid}],
    }))
}

pub fn meta_error(code: i64, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(400).set_body_json(json!({
        "error": {"message": message, "type": "OAuthException", "code": code, "error_data": {"messaging_product": "whatsapp", "details": message}, "fbtrace_id": "AbCdEf"}
    }))
}

/// A workspace with a number and an agent, whose sends go to a wiremock Graph API.
struct World {
    stack: TestStack,
    graph: MockServer,
    key: String,
    agent: String,
}

async fn world() -> World {
    let mut stack = TestStack::new().await;
    let graph = MockServer::start().await;
    stack.send_through(&graph.uri());
    let inbox = crate::webhook::inbox(stack).await;
    World { stack: inbox.stack, graph, key: inbox.key, agent: inbox.agent }
}

impl World {
    async fn create(&self, mut body: Value) -> Answer {
        if body.get("agentId").is_none() {
            body["agentId"] = json!(self.agent);
        }
        call("create-conversation", &self.stack.app, ApiCall::fixture("create-conversation").key(&self.key).json(body))
            .await
    }

    async fn conversations(&self) -> Answer {
        call("list-conversations", &self.stack.app, ApiCall::fixture("list-conversations").key(&self.key)).await
    }

    async fn messages(&self, id: &str) -> Answer {
        let request = ApiCall::fixture("list-conversation-messages").key(&self.key).path_param("id", id);
        call("list-conversation-messages", &self.stack.app, request).await
    }

    async fn get(&self, key: &str, id: &str) -> Answer {
        call("get-conversation", &self.stack.app, ApiCall::fixture("get-conversation").key(key).path_param("id", id))
            .await
    }
}

#[tokio::test]
async fn the_fixture_s_template_is_sent_as_graph_components_and_stored_with_its_wamid() {
    let w = world().await;
    let expected = json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "4915112345678",
        "type": "template",
        "template": {
            "name": "tour_invite",
            "language": {"code": "en_US"},
            "components": [
                {"type": "header", "parameters": [{"type": "text", "text": "Maple Court"}]},
                {"type": "body", "parameters": [{"type": "text", "text": "Anna"}, {"type": "text", "text": "Saturday"}]},
                {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "tour-42"}]},
                {"type": "carousel", "cards": [{"card_index": 0, "components": [
                    {"type": "header", "parameters": [{"type": "image", "image": {"link": "https://example.com/unit-1.jpg"}}]},
                    {"type": "body", "parameters": [{"type": "text", "text": "1 bedroom"}]},
                    {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "unit-1"}]}
                ]}]}
            ]
        }
    });
    Mock::given(method("POST"))
        .and(path(format!("/v23.0/{PNID}/messages")))
        .and(header("authorization", "Bearer test-token"))
        .and(body_json(&expected))
        .respond_with(sent("wamid.TEMPLATE1"))
        .expect(1)
        .mount(&w.graph)
        .await;
    let mut body = ApiCall::fixture("create-conversation").body_json();
    body["agentId"] = json!(w.agent);

    let created = w.create(body).await;

    assert_eq!(created.status, 201, "{}", created.body);
    let conversation = &created.body;
    assert_eq!(conversation["contact"], json!({"phoneNumber": "+4915112345678", "name": null}));
    assert_eq!(conversation["activeAgent"], w.agent);
    assert_eq!(conversation["chatWindowRemainingTime"], "00:00:00", "the contact has not written yet");
    assert_eq!((conversation["active"].clone(), conversation["isHumanTakeover"].clone()), (json!(false), json!(false)));
    assert_eq!(conversation["lastMessage"], "[template] tour_invite");
    let messages = w.messages(conversation["id"].as_str().unwrap_or_default()).await;
    assert_eq!(messages.body["results"][0]["wamid"], "wamid.TEMPLATE1");
    assert_eq!(messages.body["results"][0]["template"], "tour_invite");
    assert_eq!(messages.body["results"][0]["status"], "sent");
}

#[tokio::test]
async fn creating_again_returns_the_same_conversation_switched_to_the_agent() {
    let w = world().await;
    let first = w.create(json!({"phoneNumber": "+4915112345678"})).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let other_agent = agent_for(&w.stack, &w.key).await;

    let again = w.create(json!({"toNumber": "4915112345678", "fromNumber": PNID, "agentId": other_agent})).await;

    assert_eq!(again.status, 201, "{}", again.body);
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(again.body["activeAgent"], other_agent);
    assert_eq!(w.conversations().await.body["count"], 1);
    assert_eq!(w.graph.received_requests().await.map(|r| r.len()), Some(0), "no message without a template");
}

#[tokio::test]
async fn a_refused_template_answers_meta_s_code_and_stores_nothing() {
    let w = world().await;
    Mock::given(method("POST"))
        .respond_with(meta_error(131047, "Re-engagement message"))
        .expect(1)
        .mount(&w.graph)
        .await;

    let refused = w
        .create(json!({"toNumber": "+4915112345678", "message": {"type": "template", "template": {"name": "late"}}}))
        .await;

    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(refused.body["error"]["code"], "whatsapp_rejected");
    assert_eq!(refused.body["error"]["metaCode"], 131047);
    assert!(refused.body["error"]["message"].as_str().unwrap_or_default().contains("Re-engagement"));
    assert_eq!(w.conversations().await.body["count"], 0, "nothing half-made stays behind");
}

#[tokio::test]
async fn a_rate_limited_send_is_retried_and_then_succeeds() {
    let w = world().await;
    Mock::given(method("POST"))
        .respond_with(meta_error(130429, "Rate limit hit"))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&w.graph)
        .await;
    Mock::given(method("POST")).respond_with(sent("wamid.AFTER_RETRY")).with_priority(2).mount(&w.graph).await;

    let created = w
        .create(json!({"toNumber": "+4915112345678", "message": {"type": "template", "template": {"name": "hello"}}}))
        .await;

    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(w.graph.received_requests().await.map(|r| r.len()), Some(3));
}

#[tokio::test]
async fn a_graph_time_out_is_502_sent_once_and_stores_nothing() {
    let w = world().await;
    Mock::given(method("POST"))
        .respond_with(sent("wamid.LATE").set_delay(std::time::Duration::from_secs(3)))
        .mount(&w.graph)
        .await;

    let answer = w
        .create(json!({"toNumber": "+4915112345678", "message": {"type": "template", "template": {"name": "hello"}}}))
        .await;

    assert_eq!(answer.status, 502, "{}", answer.body);
    assert_eq!(answer.body["error"]["code"], "whatsapp_unavailable");
    assert_eq!(
        w.graph.received_requests().await.map(|r| r.len()),
        Some(1),
        "a time-out is not retried: it may have been sent"
    );
    assert_eq!(w.conversations().await.body["count"], 0);
}

#[tokio::test]
async fn bad_input_is_400_naming_the_field() {
    let w = world().await;
    let stranger = w.stack.workspace("Stranger").await;
    let their_agent = agent_for(&w.stack, &stranger.plaintext).await;
    let their_number = json!({"phoneNumberId": "777000777", "displayNumber": "+17770007777"});
    assert_eq!(crate::numbers::register(&w.stack, &stranger.plaintext, their_number).await.status, 201);
    let cases = [
        (json!({"toNumber": "+4915112345678", "fromNumber": "777000777"}), "fromNumber"),
        (json!({"toNumber": "+4915112345678", "fromNumber": "+17770007777"}), "fromNumber"),
        (json!({"toNumber": "12"}), "toNumber"),
        (json!({"phoneNumber": "call me"}), "phoneNumber"),
        (json!({}), "toNumber"),
        (json!({"toNumber": "+4915112345678", "agentId": "agt_nope"}), "agentId"),
        (json!({"toNumber": "+4915112345678", "agentId": their_agent}), "agentId"),
        (json!({"toNumber": "+4915112345678", "fromNumber": "+19998887777"}), "fromNumber"),
        (json!({"toNumber": "+4915112345678", "message": {"type": "template"}}), "message.template"),
        (
            json!({"toNumber": "+4915112345678", "message": {"type": "template", "template": {"variables": {}}}}),
            "message.template.name",
        ),
        (json!({"toNumber": "+4915112345678", "message": {"type": "text"}}), "message.type"),
        (
            json!({"toNumber": "+4915112345678", "message": {"type": "template", "template": {"name": "t", "variables": {"body": "x"}}}}),
            "message.template.variables.body",
        ),
    ];
    for (body, field) in cases {
        let answer = w.create(body.clone()).await;
        assert_eq!((answer.status, answer.error_field()), (400, Some(field)), "{body} answered {}", answer.body);
    }
    assert_eq!(w.conversations().await.body["count"], 0);
}

#[tokio::test]
async fn another_workspace_s_conversation_is_404_on_every_route() {
    let w = world().await;
    let created = w.create(json!({"toNumber": "+4915112345678"})).await;
    let id = created.body["id"].as_str().unwrap_or_default().to_owned();
    let stranger = w.stack.workspace("Stranger").await;
    let key = stranger.plaintext.as_str();

    let answers = [
        w.get(key, &id).await,
        call(
            "list-conversation-messages",
            &w.stack.app,
            ApiCall::fixture("list-conversation-messages").key(key).path_param("id", &id),
        )
        .await,
        call(
            "takeover-conversation",
            &w.stack.app,
            ApiCall::fixture("takeover-conversation").key(key).path_param("id", &id),
        )
        .await,
        call(
            "handback-conversation",
            &w.stack.app,
            ApiCall::fixture("handback-conversation").key(key).path_param("id", &id),
        )
        .await,
    ];
    for answer in answers {
        assert_eq!(answer.status, 404, "{}", answer.body);
    }
    let listed = call("list-conversations", &w.stack.app, ApiCall::fixture("list-conversations").key(key)).await;
    assert_eq!(listed.body["count"], 0);
}

#[tokio::test]
async fn a_takeover_lasts_until_it_expires_or_is_handed_back() {
    let w = world().await;
    let created = w.create(json!({"toNumber": "+4915112345678"})).await;
    let id = created.body["id"].as_str().unwrap_or_default().to_owned();
    let take = |body: Option<Value>| {
        let mut request = ApiCall::fixture("takeover-conversation").key(&w.key).path_param("id", &id);
        request = match body {
            Some(body) => request.json(body),
            None => request.body(""),
        };
        call("takeover-conversation", &w.stack.app, request)
    };

    let taken = take(None).await;
    assert_eq!((taken.status, taken.body["isHumanTakeover"].clone()), (200, json!(true)), "{}", taken.body);
    w.stack.clock.advance(Duration::minutes(9));
    assert_eq!(w.get(&w.key, &id).await.body["isHumanTakeover"], true, "the default is 10 minutes");
    w.stack.clock.advance(Duration::minutes(2));
    assert_eq!(w.get(&w.key, &id).await.body["isHumanTakeover"], false, "it expired by itself");

    assert_eq!(take(Some(json!({"durationMinutes": 120}))).await.body["isHumanTakeover"], true);
    let handback = ApiCall::fixture("handback-conversation").key(&w.key).path_param("id", &id);
    let back = call("handback-conversation", &w.stack.app, handback).await;
    assert_eq!((back.status, back.body["isHumanTakeover"].clone()), (200, json!(false)));
    assert_eq!(take(Some(json!({"durationMinutes": 0}))).await.error_field(), Some("durationMinutes"));
}

#[tokio::test]
async fn without_from_number_the_number_answering_with_the_agent_is_used_and_ids_are_uuids() {
    let w = world().await;
    w.graph.register(Mock::given(method("POST")).respond_with(sent("wamid.OUT"))).await;
    let first =
        call("get-agent", &w.stack.app, ApiCall::fixture("get-agent").key(&w.key).path_param("id", &w.agent)).await;
    let new_agent = |name: &str| {
        let body = json!({"name": name, "promptId": first.body["promptId"], "model": {"provider": "openai", "name": "gpt-4o-mini"}});
        call("create-agent", &w.stack.app, ApiCall::fixture("create-agent").key(&w.key).json(body))
    };
    let second = new_agent("Second line").await.body["id"].as_str().unwrap_or_default().to_owned();
    let third = new_agent("Nobody's default").await.body["id"].as_str().unwrap_or_default().to_owned();
    let registered = crate::numbers::register(
        &w.stack,
        &w.key,
        json!({"phoneNumberId": "777000777", "displayNumber": "+17770007777", "defaultAgentId": second}),
    )
    .await;
    assert_eq!(registered.status, 201, "{}", registered.body);

    let from_second = w.create(json!({"toNumber": "+4915112345678", "agentId": second})).await;
    assert_eq!(from_second.status, 201, "{}", from_second.body);
    let id = from_second.body["id"].as_str().unwrap_or_default().to_owned();
    let conversation = w.get(&w.key, &id).await;
    assert_eq!(conversation.body["whatsappNumber"], "777000777", "{}", conversation.body);
    for uuid in [&from_second.body["id"], &json!(second)] {
        let text = uuid.as_str().unwrap_or_default();
        assert!(text.len() == 36 && text.chars().filter(|c| *c == '-').count() == 4, "a UUID: {text}");
    }

    let ambiguous = w.create(json!({"toNumber": "+4915112345679", "agentId": third})).await;
    assert_eq!((ambiguous.status, ambiguous.error_field()), (400, Some("fromNumber")), "{}", ambiguous.body);
}
