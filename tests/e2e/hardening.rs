//! Attacks from a contact's phone and from another tenant's key, one test each: every one of them
//! crashed, leaked or cost something before it was fixed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use colloquy_domain::cached::CachedNumbers;
use colloquy_domain::model::outbound_url::OutboundRules;
use colloquy_domain::ports::NumberStore;
use colloquy_functions::worker::{Deadline, Worker};
use colloquy_tests::{call, meta_payload, signed_delivery, Answer, ApiCall, TestStack, TEST_TOKEN};
use serde_json::{json, Value};
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::agent_loop::{agent_loop, completion, sent, Loop};
use crate::agents::agent_for;
use crate::numbers::register;
use crate::webhook::{inbox, PNID};

const FIXTURE_WAMID: &str = "wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBDMEY0";
const FIXTURE_TEXT: &str = "Hi, is the 2-bedroom still available?";

/// The text fixture with other words, another wamid, and optionally another contact.
fn text_from(contact: &str, wamid: &str, words: &str) -> String {
    meta_payload("text").replace(FIXTURE_TEXT, words).replace(FIXTURE_WAMID, wamid).replace("4915112345678", contact)
}

fn text(wamid: &str, words: &str) -> String {
    text_from("4915112345678", wamid, words)
}

async fn create_policy(stack: &TestStack, key: &str, body: Value) -> Answer {
    call("create-policy", &stack.app, ApiCall::fixture("create-policy").key(key).json(body)).await
}

async fn violations(stack: &TestStack, key: &str) -> Vec<Value> {
    let listed = call(
        "list-policy-violations",
        &stack.app,
        ApiCall::fixture("list-policy-violations").key(key).query("limit", "100"),
    )
    .await;
    listed.body["results"].as_array().cloned().unwrap_or_default()
}

// 1. Three Unicode characters crashed the webhook, and one `İ` switched keyword rules off.
#[tokio::test]
async fn unicode_that_changes_length_when_lower_cased_neither_crashes_the_webhook_nor_slips_past_a_keyword() {
    let l = agent_loop().await;
    l.mount_ok("should never be sent").await;
    let rule = json!({"name": "No passwords", "keywords": ["password"], "appliesTo": "input", "action": "block"});
    assert_eq!(create_policy(&l.inbox.stack, &l.inbox.key, rule).await.status, 201);

    let crash = l.inbox.deliver(&text("wamid.UNICODE1", "İépasswordẞ")).await;
    let slip = l.inbox.deliver(&text("wamid.UNICODE2", "İ my PASSWORD is hunter2")).await;

    assert_eq!((crash.status, slip.status), (200, 200), "{} {}", crash.body, slip.body);
    let messages = l.inbox.messages().await;
    assert_eq!(messages.len(), 2);
    assert!(messages.iter().all(|m| m["error"]["message"].as_str().is_some_and(|e| e.contains("No passwords"))));
    l.run_worker().await;
    assert!(l.llm_calls().await.is_empty(), "blocked messages never reach the LLM");
    let found = violations(&l.inbox.stack, &l.inbox.key).await;
    assert_eq!(found.len(), 2);
    assert!(found.iter().all(|v| !v["excerpt"].as_str().unwrap_or_default().to_lowercase().contains("password")));
}

// 2. `webhookUrl` reached loopback, private and metadata addresses.
#[tokio::test]
async fn webhook_urls_to_private_loopback_or_metadata_addresses_are_refused() {
    let mut stack = TestStack::new().await;
    stack.app.outbound = OutboundRules::default();
    let admin = stack.workspace("Acme").await;
    for url in [
        "http://localhost@evil.example/",
        "http://localhost.evil.example/",
        "https://10.0.0.5/",
        "https://192.168.1.1/",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fd00::1]/",
        "https://100.64.0.1/",
        "https://[::ffff:127.0.0.1]/",
        "http://127.0.0.1:9/hooks",
        "https://user:secret@hooks.example.com/",
    ] {
        let request = ApiCall::fixture("update-workspace").key(&admin.plaintext).json(json!({"webhookUrl": url}));
        let answer = call("update-workspace", &stack.app, request).await;
        assert_eq!(answer.status, 400, "{url}: {}", answer.body);
        assert_eq!(answer.error_field(), Some("webhookUrl"), "{url}");
    }
    let request = ApiCall::fixture("update-workspace")
        .key(&admin.plaintext)
        .json(json!({"webhookUrl": "https://hooks.example.com/x"}));
    assert_eq!(call("update-workspace", &stack.app, request).await.status, 200);
}

#[tokio::test]
async fn delivery_never_connects_to_a_forbidden_address_whatever_the_stored_url_or_dns_says() {
    let receiver = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(204)).mount(&receiver).await;
    let production = OutboundRules::default();
    let delivery = colloquy_adapters::outbound::HttpEventDelivery::new(Duration::from_secs(2), production.clone())
        .expect("client");
    let port = receiver.address().port();

    // A URL stored before the rules, to an address literal: checked again at delivery.
    let literal =
        colloquy_domain::ports::EventDelivery::post(&delivery, &format!("http://127.0.0.1:{port}/"), &[], "{}".into())
            .await;
    // A name that resolves to loopback (what DNS rebinding makes of a public name): the resolver
    // drops the address, so the connection is never made.
    let guarded = colloquy_adapters::https::guarded_client(Duration::from_secs(2), production).expect("client");
    let rebound = guarded.post(format!("http://localhost:{port}/")).body("{}").send().await;

    assert!(literal.is_err(), "{literal:?}");
    assert!(rebound.is_err_and(|err| format!("{err:?}").contains("no address")), "the resolver refused it");
    assert!(receiver.received_requests().await.unwrap_or_default().is_empty(), "nothing reached the receiver");
}

// 3. Any write key could claim any unregistered number and send as it.
#[tokio::test]
async fn a_number_is_registered_only_with_a_token_meta_shows_it_to() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    let number = |token: Option<&str>, display: &str| {
        let mut body = json!({"phoneNumberId": PNID, "displayNumber": display});
        if let Some(token) = token {
            body["accessToken"] = json!(token);
        }
        body
    };
    let no_token = call(
        "register-whatsapp-number",
        &stack.app,
        ApiCall::fixture("register-whatsapp-number").key(&admin.plaintext).json(number(None, "+15550783881")),
    )
    .await;
    let wrong_token = register(&stack, &admin.plaintext, number(Some("someone-elses-token"), "+15550783881")).await;
    let wrong_display = register(&stack, &admin.plaintext, number(Some(TEST_TOKEN), "+15550000000")).await;
    let unknown_id =
        register(&stack, &admin.plaintext, json!({"phoneNumberId": "999", "displayNumber": "+15550783881"})).await;
    let proven = register(&stack, &admin.plaintext, number(Some(TEST_TOKEN), "+1 555 078 3881")).await;

    assert_eq!((no_token.status, no_token.error_field()), (400, Some("accessToken")), "{}", no_token.body);
    assert_eq!((wrong_token.status, wrong_token.error_field()), (400, Some("accessToken")), "{}", wrong_token.body);
    assert_eq!((wrong_display.status, wrong_display.error_field()), (400, Some("displayNumber")));
    assert_eq!((unknown_id.status, unknown_id.error_field()), (400, Some("accessToken")));
    assert_eq!(proven.status, 201, "{}", proven.body);
    assert!(!proven.body.to_string().contains(TEST_TOKEN), "the token is never shown again");
    let stored = stack.store.get_number(PNID).await.expect("read").expect("registered");
    let reference = stored.token_ref.expect("the token is kept in the vault");
    assert!(!reference.contains(TEST_TOKEN), "the table holds a reference, not the token");
    let secrets = aws_sdk_secretsmanager::Client::new(&stack.aws);
    let kept = secrets.get_secret_value().secret_id(&reference).send().await.expect("secret");
    assert_eq!(kept.secret_string(), Some(TEST_TOKEN));
}

#[tokio::test]
async fn replies_go_out_with_the_number_s_own_token_and_not_once_the_number_left_the_workspace() {
    let l = agent_loop().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(completion("Hello!"))
        .mount(&l.llm)
        .await;
    Mock::given(method("POST"))
        .and(header("authorization", format!("Bearer {TEST_TOKEN}").as_str()))
        .respond_with(sent("wamid.OWN"))
        .mount(&l.graph)
        .await;
    l.inbox.deliver(&text("wamid.OWN1", "hello")).await;
    l.run_worker().await;
    assert_eq!(l.texts_sent().await.len(), 1, "sent with the number's token");

    l.inbox.deliver(&text("wamid.OWN2", "still there?")).await;
    let remove = ApiCall::fixture("remove-whatsapp-number").key(&l.inbox.key).path_param("phoneNumberId", PNID);
    assert_eq!(call("remove-whatsapp-number", &l.inbox.stack.app, remove).await.status, 204);
    // A worker container that has not seen the number lately.
    let mut app = l.inbox.stack.app.clone();
    app.numbers = Arc::new(CachedNumbers::over(app.store.clone()));
    l.source.drain(&Worker::new(app), 10).await.expect("worker runs");

    assert_eq!(l.texts_sent().await.len(), 1, "nothing is sent as a number the workspace no longer holds");
    let messages = l.inbox.messages().await;
    assert_eq!(messages[0]["status"], "failed", "{:?}", messages[0]);
    assert!(messages[0]["error"]["message"].as_str().unwrap_or_default().contains("no longer registered"));
}

// 4. A number's conversation claims outlived the number.
#[tokio::test]
async fn a_number_that_moves_to_another_workspace_keeps_the_old_history_and_starts_the_new_owner_clean() {
    let stack = TestStack::new().await;
    let first = stack.workspace("First").await;
    let second = stack.workspace("Second").await;
    let first_agent = agent_for(&stack, &first.plaintext).await;
    let second_agent = agent_for(&stack, &second.plaintext).await;
    let number = |agent: &str| json!({"phoneNumberId": PNID, "displayNumber": "+15550783881", "defaultAgentId": agent});
    assert_eq!(register(&stack, &first.plaintext, number(&first_agent)).await.status, 201);
    let deliver = |body: String| call("whatsapp-webhook", &stack.app, signed_delivery(&body));
    assert_eq!(deliver(text("wamid.MOVE1", "hello first")).await.status, 200);

    let remove = ApiCall::fixture("remove-whatsapp-number").key(&first.plaintext).path_param("phoneNumberId", PNID);
    assert_eq!(call("remove-whatsapp-number", &stack.app, remove).await.status, 204);
    assert_eq!(register(&stack, &second.plaintext, number(&second_agent)).await.status, 201);
    let mut fresh = stack.app.clone();
    fresh.numbers = Arc::new(CachedNumbers::over(fresh.store.clone()));
    let moved = call("whatsapp-webhook", &fresh, signed_delivery(&text("wamid.MOVE2", "hello second"))).await;

    assert_eq!(moved.status, 200, "{}", moved.body);
    let conversations =
        |key: &str| call("list-conversations", &stack.app, ApiCall::fixture("list-conversations").key(key));
    let old = conversations(&first.plaintext).await;
    let new = conversations(&second.plaintext).await;
    assert_eq!(old.body["count"], 1, "the old workspace keeps its history");
    assert_eq!(new.body["count"], 1, "the new owner's conversation starts cleanly");
    assert_ne!(old.body["results"][0]["id"], new.body["results"][0]["id"]);
    assert_eq!(new.body["results"][0]["activeAgent"], second_agent.as_str());
}

// 5. One slow conversation made a whole batch time out.
#[tokio::test]
async fn a_slow_llm_in_one_conversation_costs_the_others_nothing_and_nothing_is_sent_twice() {
    let l = agent_loop().await;
    Mock::given(method("POST"))
        .and(body_string_contains("slow contact"))
        .respond_with(completion("slow answer").set_delay(Duration::from_millis(1500)))
        .with_priority(1)
        .mount(&l.llm)
        .await;
    Mock::given(method("POST")).respond_with(completion("quick answer")).with_priority(2).mount(&l.llm).await;
    Mock::given(method("POST")).respond_with(sent("wamid.BATCH")).mount(&l.graph).await;
    let contacts = ["4915100000001", "4915100000002", "4915100000003", "4915100000004", "4915100000005"];
    for (c, contact) in contacts.iter().enumerate() {
        let words = if c == 0 { "I am the slow contact" } else { "hello" };
        for n in 0..2 {
            let delivered = l.inbox.deliver(&text_from(contact, &format!("wamid.B{c}{n}"), words)).await;
            assert_eq!(delivered.status, 200);
        }
    }

    let started = Instant::now();
    let mut polls = Vec::new();
    for _ in 0..5 {
        let polled = l.source.poll_within(&l.worker, Deadline::after(Duration::from_secs(60))).await.expect("poll");
        if polled.received == 0 {
            break;
        }
        polls.push(polled);
    }
    let elapsed = started.elapsed();

    assert_eq!(polls.iter().map(|p| p.received).sum::<usize>(), 10, "{polls:?}");
    assert!(polls.iter().all(|p| p.failed == 0), "no record failed for another's slowness: {polls:?}");
    let sent_to: Vec<String> =
        l.texts_sent().await.iter().map(|b| b["to"].as_str().unwrap_or_default().to_owned()).collect();
    for contact in contacts {
        assert_eq!(sent_to.iter().filter(|to| *to == contact).count(), 1, "one reply to {contact}: {sent_to:?}");
    }
    assert!(elapsed < Duration::from_millis(1500 * 2 + 1000), "groups ran side by side: {elapsed:?}");
}

#[tokio::test]
async fn close_to_the_deadline_no_trigger_is_started_and_none_is_lost_or_penalised() {
    let l = agent_loop().await;
    l.mount_ok("later").await;
    l.inbox.deliver(&text("wamid.LATE", "hello")).await;

    let late = l.source.poll_within(&l.worker, Deadline::after(Duration::from_secs(1))).await.expect("poll");
    assert_eq!((late.received, late.failed), (1, 1), "reported back, not started");
    assert!(l.llm_calls().await.is_empty());
    l.run_worker().await;
    assert_eq!(l.texts_sent().await.len(), 1, "answered on the next invocation");
}

// 6. Policies were compiled per message, capped silently and cost every tenant CPU.
#[tokio::test]
async fn policies_are_capped_with_a_clear_error_and_the_newest_block_rule_still_applies() {
    let l = agent_loop().await;
    let stack = &l.inbox.stack;
    for n in 0..colloquy_domain::policies::MAX_POLICIES {
        let rule = json!({"name": format!("rule {n}"), "keywords": [format!("forbidden{n}")], "appliesTo": "input", "action": "block"});
        assert_eq!(create_policy(stack, &l.inbox.key, rule).await.status, 201, "policy {n}");
    }
    let over = create_policy(
        stack,
        &l.inbox.key,
        json!({"name": "one more", "keywords": ["x"], "appliesTo": "input", "action": "log"}),
    )
    .await;
    assert_eq!(over.status, 409, "{}", over.body);
    assert!(over.body["error"]["message"].as_str().unwrap_or_default().contains("at most"));

    let newest = format!("forbidden{}", colloquy_domain::policies::MAX_POLICIES - 1);
    l.inbox.deliver(&text("wamid.NEWEST", &format!("say {newest} now"))).await;
    let messages = l.inbox.messages().await;
    assert!(messages[0]["error"]["message"].as_str().is_some_and(|m| m.contains("blocked")), "{:?}", messages[0]);
}

#[tokio::test]
async fn a_workspace_s_patterns_are_limited_in_total_size() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    let big: Vec<String> = (0..99).map(|n| format!("{n:0>3}{}", "a".repeat(490))).collect();
    let first = create_policy(
        &stack,
        &admin.plaintext,
        json!({"name": "big", "patterns": big, "appliesTo": "input", "action": "log"}),
    )
    .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let more: Vec<String> = (0..99).map(|n| format!("{n:0>3}{}", "b".repeat(490))).collect();
    let second = create_policy(
        &stack,
        &admin.plaintext,
        json!({"name": "bigger", "patterns": more, "appliesTo": "input", "action": "log"}),
    )
    .await;
    assert_eq!((second.status, second.error_field()), (400, Some("patterns")), "{}", second.body);
}

// 7. An LLM error no retry can fix was retried five times and dead-lettered, silently.
#[tokio::test]
async fn an_llm_that_refuses_the_request_fails_the_reply_at_once_and_says_why() {
    let l = agent_loop().await;
    let refusal = json!({"error": {"message": "The model `gpt-nope` does not exist", "type": "invalid_request_error"}});
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(400).set_body_json(refusal)).mount(&l.llm).await;
    Mock::given(method("POST")).respond_with(sent("wamid.NEVER")).mount(&l.graph).await;
    l.inbox.deliver(&meta_payload("text")).await;

    let polls = l.source.drain(&l.worker, 10).await.expect("polls");

    assert_eq!(polls.len(), 1, "handled on the first receive: {polls:?}");
    assert_eq!(l.llm_calls().await.len(), 1, "a 400 is not retried");
    let messages = l.inbox.messages().await;
    assert_eq!(messages[0]["status"], "failed");
    assert!(
        messages[0]["error"]["message"].as_str().unwrap_or_default().contains("does not exist"),
        "{:?}",
        messages[0]
    );
    assert!(l.texts_sent().await.is_empty());
}

#[tokio::test]
async fn a_deployment_can_limit_the_models_agents_use() {
    let mut stack = TestStack::new().await;
    stack.app.allowed_models = Some(Arc::from(vec!["gpt-4o-mini".to_owned()]));
    let admin = stack.workspace("Acme").await;
    let allowed = agent_for(&stack, &admin.plaintext).await;
    let request = ApiCall::fixture("update-agent")
        .key(&admin.plaintext)
        .path_param("id", &allowed)
        .json(json!({"model": {"provider": "openai", "name": "gpt-5-pro"}}));
    let refused = call("update-agent", &stack.app, request).await;
    assert_eq!((refused.status, refused.error_field()), (400, Some("model.name")), "{}", refused.body);
    assert!(refused.body["error"]["message"].as_str().unwrap_or_default().contains("gpt-4o-mini"));
}

// 8. The smaller ones.
#[tokio::test]
async fn a_number_registered_a_moment_ago_gets_its_first_messages() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    let agent = agent_for(&stack, &admin.plaintext).await;
    let early = call("whatsapp-webhook", &stack.app, signed_delivery(&text("wamid.EARLY", "too early"))).await;
    assert_eq!(early.status, 200, "acknowledged: Meta must not retry for a number nobody holds");

    let number = json!({"phoneNumberId": PNID, "displayNumber": "+15550783881", "defaultAgentId": agent});
    assert_eq!(register(&stack, &admin.plaintext, number).await.status, 201);
    let first = call("whatsapp-webhook", &stack.app, signed_delivery(&text("wamid.FIRST", "now"))).await;

    assert_eq!(first.status, 200);
    let listed =
        call("list-conversations", &stack.app, ApiCall::fixture("list-conversations").key(&admin.plaintext)).await;
    assert_eq!(listed.body["count"], 1, "the first message after registering is stored: {}", listed.body);
}

#[tokio::test]
async fn a_redelivered_blocked_message_records_its_violation_once() {
    let stack = TestStack::new().await;
    let inbox = inbox(stack).await;
    let rule = json!({"name": "Alert on cards", "detectors": ["card"], "appliesTo": "input", "action": "block"});
    assert_eq!(create_policy(&inbox.stack, &inbox.key, rule).await.status, 201);
    let body = text("wamid.CARD", "my card is 4111 1111 1111 1111");

    for _ in 0..3 {
        assert_eq!(inbox.deliver(&body).await.status, 200);
    }

    assert_eq!(violations(&inbox.stack, &inbox.key).await.len(), 1);
}

#[tokio::test]
async fn a_read_key_may_send_prompts_and_make_no_other_change() {
    let l: Loop = agent_loop().await;
    l.mount_ok("hi").await;
    let reader = l.inbox.stack.key_for(&l.inbox.key, colloquy_domain::model::Role::Read).await;
    let id = crate::send_prompt::api_conversation(&l).await;

    let request =
        ApiCall::fixture("send-prompt").key(&reader).path_param("conversationId", &id).json(json!({"prompt": "hello"}));
    let prompted = call("send-prompt", &l.inbox.stack.app, request).await;
    let request = ApiCall::fixture("prompt-agent").key(&reader).path_param("id", &id).json(json!({"prompt": "say hi"}));
    let operator = call("prompt-agent", &l.inbox.stack.app, request).await;

    assert_eq!(prompted.status, 200, "{}", prompted.body);
    assert_eq!(operator.status, 403, "{}", operator.body);
}
