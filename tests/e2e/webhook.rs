//! Meta's webhook: signatures, every message type and status, and redeliveries storing nothing.

use colloquy_domain::ports::Clock;
use colloquy_tests::{call, meta_payload, signed_delivery, Answer, ApiCall, TestStack};
use serde_json::{json, Value};

use crate::agents::agent_for;
use crate::numbers::register;

pub const PNID: &str = "106540352242922";

/// A workspace whose number answers with a default agent.
pub struct Inbox {
    pub stack: TestStack,
    pub key: String,
    pub agent: String,
}

/// The WhatsApp Business Account that holds the test number.
pub const WABA_ID: &str = "102290129340398";

pub async fn inbox(stack: TestStack) -> Inbox {
    let admin = stack.workspace("Acme").await;
    let agent = agent_for(&stack, &admin.plaintext).await;
    let registered = register(
        &stack,
        &admin.plaintext,
        json!({"phoneNumberId": PNID, "displayNumber": "+15550783881", "defaultAgentId": agent, "wabaId": WABA_ID}),
    )
    .await;
    assert_eq!(registered.status, 201, "{}", registered.body);
    assert_eq!(registered.body["wabaId"], WABA_ID, "{}", registered.body);
    Inbox { stack, key: admin.plaintext, agent }
}

impl Inbox {
    /// Delivers a payload as Meta would now: the fixtures' timestamps become the clock's.
    pub async fn deliver(&self, body: &str) -> Answer {
        let now = self.stack.clock.now().unix_timestamp().to_string();
        let body = body.replace("\"1795345200\"", &format!("\"{now}\""));
        call("whatsapp-webhook", &self.stack.app, signed_delivery(&body)).await
    }

    pub async fn conversations(&self) -> Vec<Value> {
        let listed =
            call("list-conversations", &self.stack.app, ApiCall::fixture("list-conversations").key(&self.key)).await;
        listed.body["results"].as_array().cloned().unwrap_or_default()
    }

    /// The only conversation's messages, newest first.
    pub async fn messages(&self) -> Vec<Value> {
        let conversations = self.conversations().await;
        let Some(id) = conversations.first().and_then(|c| c["id"].as_str()) else { return Vec::new() };
        let request =
            ApiCall::fixture("list-conversation-messages").key(&self.key).path_param("id", id).query("limit", "100");
        let listed = call("list-conversation-messages", &self.stack.app, request).await;
        listed.body["results"].as_array().cloned().unwrap_or_default()
    }

    pub async fn queued(&self) -> usize {
        let attributes = self
            .stack
            .sqs()
            .get_queue_attributes()
            .queue_url(&self.stack.resources.queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await
            .expect("queue attributes");
        attributes
            .attributes
            .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages).cloned())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }
}

#[tokio::test]
async fn the_handshake_echoes_the_challenge_only_with_the_right_token() {
    let stack = TestStack::new().await;
    let verify = |token: &str| {
        ApiCall::fixture("whatsapp-webhook-verify")
            .query("hub.mode", "subscribe")
            .query("hub.verify_token", token)
            .query("hub.challenge", "1158201444")
    };
    let ok = call("whatsapp-webhook", &stack.app, verify(colloquy_tests::VERIFY_TOKEN)).await;
    assert_eq!((ok.status, ok.body.clone()), (200, json!("1158201444")));
    let wrong = call("whatsapp-webhook", &stack.app, verify("guess")).await;
    assert_eq!(wrong.status, 403);
}

#[tokio::test]
async fn a_text_message_starts_a_conversation_with_the_default_agent_and_queues_one_trigger() {
    let inbox = inbox(TestStack::new().await).await;

    let answer = inbox.deliver(&meta_payload("text")).await;

    assert_eq!(answer.status, 200, "{}", answer.body);
    let conversations = inbox.conversations().await;
    assert_eq!(conversations.len(), 1);
    assert_eq!(conversations[0]["activeAgent"], inbox.agent);
    assert_eq!(conversations[0]["contact"], json!({"phoneNumber": "+4915112345678", "name": "Anna Schmidt"}));
    assert_eq!(conversations[0]["lastMessage"], "Hi, is the 2-bedroom still available?");
    let messages = inbox.messages().await;
    assert_eq!(messages.len(), 1);
    assert_eq!(
        (messages[0]["direction"].as_str(), messages[0]["status"].as_str()),
        (Some("inbound"), Some("received"))
    );
    assert_eq!(inbox.queued().await, 1);
}

#[tokio::test]
async fn five_deliveries_two_at_once_store_one_message() {
    let inbox = inbox(TestStack::new().await).await;
    let body = meta_payload("text");

    let (first, second) = tokio::join!(inbox.deliver(&body), inbox.deliver(&body));
    let mut statuses = vec![first.status, second.status];
    for _ in 0..3 {
        statuses.push(inbox.deliver(&body).await.status);
    }

    assert_eq!(statuses, vec![200; 5], "Meta gets 200 every time");
    assert_eq!(inbox.conversations().await.len(), 1);
    assert_eq!(inbox.messages().await.len(), 1, "one stored message");
    assert_eq!(inbox.queued().await, 1, "the queue's de-duplication keeps one trigger");
}

#[tokio::test]
async fn every_message_type_is_stored_readably() {
    let inbox = inbox(TestStack::new().await).await;
    let expected = [
        ("interactive-button-reply", "interactive", "[tapped the button \"Saturday 10:00\" (id: tour-sat)]"),
        ("interactive-list-reply", "interactive", "[chose \"2 bedrooms\" — From $1,900 from a list (id: unit-2)]"),
        (
            "interactive-flow-reply",
            "interactive",
            "[completed the flow form; its answers: {\"move_in\": \"2026-12-01\", \"budget\": 1900}]",
        ),
        ("button", "button", "Stop promotions"),
        ("image", "image", "[image: My payslip]"),
        ("document", "document", "[document: My lease]"),
        ("system", "system", "[WhatsApp notice: User Anna Schmidt changed from 4915112345678 to 4915187654321]"),
        ("location", "location", "[location 52.52, 13.405 Maple Court, 1 Maple St]"),
        ("unsupported", "unsupported", "[unsupported message]"),
    ];
    for (payload, _, _) in expected {
        assert_eq!(inbox.deliver(&meta_payload(payload)).await.status, 200, "{payload}");
    }
    let mut messages = inbox.messages().await;
    messages.reverse();
    let stored: Vec<(String, String)> = messages
        .iter()
        .map(|m| (m["type"].as_str().unwrap_or_default().to_owned(), m["text"].as_str().unwrap_or_default().to_owned()))
        .collect();
    let wanted: Vec<(String, String)> =
        expected.iter().map(|(_, kind, text)| (kind.to_string(), text.to_string())).collect();
    assert_eq!(stored, wanted);
}

#[tokio::test]
async fn a_batch_with_several_entries_stores_every_message() {
    let inbox = inbox(TestStack::new().await).await;

    assert_eq!(inbox.deliver(&meta_payload("batch-multi-entry")).await.status, 200);

    let texts: Vec<String> =
        inbox.messages().await.iter().filter_map(|m| m["text"].as_str().map(str::to_owned)).collect();
    assert_eq!(texts, vec!["third", "second", "first"]);
}

#[tokio::test]
async fn bad_deliveries_are_refused_and_store_nothing() {
    let inbox = inbox(TestStack::new().await).await;
    let body = meta_payload("text");

    let unsigned =
        call("whatsapp-webhook", &inbox.stack.app, ApiCall::fixture("whatsapp-webhook").body(body.clone())).await;
    assert_eq!(unsigned.status, 401);
    let tampered = signed_delivery(&body).body(body.replace("2-bedroom", "3-bedroom"));
    assert_eq!(call("whatsapp-webhook", &inbox.stack.app, tampered).await.status, 401);
    let wrong_secret = ApiCall::fixture("whatsapp-webhook")
        .body(body.clone())
        .header("x-hub-signature-256", &colloquy_api::meta_webhook::sign("not-the-secret", body.as_bytes()));
    assert_eq!(call("whatsapp-webhook", &inbox.stack.app, wrong_secret).await.status, 401);
    assert_eq!(inbox.deliver("this is not json").await.status, 400);
    assert!(inbox.conversations().await.is_empty(), "nothing stored");
    assert_eq!(inbox.queued().await, 0);

    let odd = json!({"object": "whatsapp_business_account", "surprise": [1, 2], "entry": [{"id": "1", "changes": [{"field": "account_update", "value": {"event": "VERIFIED"}}]}]});
    assert_eq!(inbox.deliver(&odd.to_string()).await.status, 200, "unexpected fields are acknowledged");
}

#[tokio::test]
async fn a_number_nobody_registered_is_acknowledged_and_dropped() {
    let inbox = inbox(TestStack::new().await).await;

    let answer = inbox.deliver(&meta_payload("unknown-number")).await;

    assert_eq!(answer.status, 200, "Meta must not retry it for a week");
    assert!(inbox.conversations().await.is_empty());
    assert_eq!(inbox.queued().await, 0);
}
