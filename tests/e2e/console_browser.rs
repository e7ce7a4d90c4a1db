//! People using the console in headless Chromium: what they see and what it changed.

use std::time::Duration;

use colloquy_domain::model::Role;
use colloquy_domain::ports::ConversationStore;
use colloquy_tests::{meta_payload, TestStack};
use serde_json::json;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::browser::{serve, Browser};
use crate::console::{awaiting_call, conversation_with};
use crate::console_pages::{leasing_prompt, message_with_media};
use colloquy_domain::model::MessageKind;

const LIVE: Duration = Duration::from_secs(5);

#[tokio::test]
async fn a_person_sees_a_new_contact_takes_over_writes_and_hands_back() {
    let mut stack = TestStack::new().await;
    let graph = MockServer::start().await;
    stack.send_through(&graph.uri());
    Mock::given(method("POST"))
        .and(path_regex(r"/messages$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp",
            "contacts": [{"input": "4915112345678", "wa_id": "4915112345678"}],
            "messages": [{"id": "wamid.CONSOLE1"}],
        })))
        .mount(&graph)
        .await;
    let inbox = crate::webhook::inbox(stack).await;
    let base = serve(&inbox.stack).await;
    let browser = Browser::start().await;

    browser.sign_in(&base, &inbox.key).await;
    assert!(browser.appears("[data-testid=inbox-empty]", LIVE).await, "{}", browser.html().await);
    assert_eq!(inbox.deliver(&meta_payload("text")).await.status, 200);
    assert!(browser.appears("[data-testid=inbox-row]", LIVE).await, "the inbox shows the new contact within 5 s");
    assert!(browser.html().await.contains("Anna Schmidt"));
    browser.screenshot("inbox").await;

    browser.click("[data-testid=inbox-row] a").await;
    assert!(browser.appears("[data-testid=transcript] [data-direction=inbound]", LIVE).await);
    browser.click("[data-testid=take-over]").await;
    assert!(browser.appears("[data-testid=hand-back]", LIVE).await, "{}", browser.html().await);
    assert!(browser.html().await.contains("first admin key (clq_"), "who took it over, by name");
    browser.type_into("[data-testid=composer]", "A person here: the flat is still free.").await;
    browser.click("[data-testid=send]").await;
    assert!(browser.appears(".bubble.operator-out", LIVE).await, "{}", browser.html().await);
    let page = browser.html().await;
    assert!(page.contains("A person here: the flat is still free."));
    assert!(page.contains("by first admin key (clq_"), "who wrote it, by the key's name: {page}");
    browser.screenshot("conversation").await;
    let sent = graph.received_requests().await.unwrap_or_default();
    assert_eq!(sent.len(), 1, "one message went to WhatsApp");

    browser.click("[data-testid=hand-back]").await;
    assert!(browser.appears("[data-testid=take-over]", LIVE).await);
    let conversations = inbox.conversations().await;
    assert_eq!(conversations[0]["isHumanTakeover"], false, "handed back");
    assert_eq!(browser.console_errors().await, Vec::<String>::new(), "no errors in the browser's console");
    browser.close().await;
}

#[tokio::test]
async fn approvals_are_decided_in_one_click_and_a_read_key_cannot_decide() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    let mut conversation = conversation_with(&stack, &admin.key.workspace_id, "Paula Pérez").await;
    let voice_note =
        std::fs::read(colloquy_tests::project_root().join("events/whatsapp/media/voice-note.ogg")).expect("fixture");
    let voice = message_with_media(&stack, &conversation.id, MessageKind::Audio, "audio/ogg", &voice_note).await;
    let revised = conversation.revised(time::OffsetDateTime::now_utc());
    stack.store.save_conversation(&revised, Some(conversation.revision), &[voice]).await.expect("stored");
    conversation = revised;
    let rejected = awaiting_call(&stack, &conversation).await;
    let other = conversation_with(&stack, &admin.key.workspace_id, "Omar").await;
    let approved = awaiting_call(&stack, &other).await;
    let read_key = stack.key(&admin, Role::Read).await;
    let base = serve(&stack).await;

    let reader = Browser::start().await;
    reader.sign_in(&base, &read_key).await;
    reader.goto(&format!("{base}/console/approvals")).await;
    assert!(reader.appears("[data-testid=approval]", LIVE).await);
    assert!(!reader.html().await.contains(r#"data-testid="approve""#), "a read key sees no buttons");
    let forged = reader
        .run(&format!(
            r#"const done = arguments[0];
               const token = document.querySelector('input[name=csrf]').value;
               fetch('/console/tool-calls/{approved}/approve', {{method: 'POST',
                 headers: {{'content-type': 'application/x-www-form-urlencoded'}}, body: 'csrf=' + token}})
                 .then(r => done(r.status));"#
        ))
        .await;
    assert_eq!(forged, json!(403), "a forged decision by a read key");
    reader.close().await;

    let person = Browser::start().await;
    person.sign_in(&base, &admin.plaintext).await;
    person.goto(&format!("{base}/console/conversations/{}", conversation.id)).await;
    assert!(person.appears("[data-testid=voice-player]", LIVE).await, "{}", person.html().await);
    assert!(person.html().await.contains(r#"data-status="pending_approval""#));
    person.screenshot("conversation-voice-note-and-approval").await;
    person.goto(&format!("{base}/console/approvals")).await;
    assert!(person.appears("[data-testid=approve]", LIVE).await);
    person.screenshot("approvals").await;
    let card = format!("[data-call='{rejected}']");
    person.type_into(&format!("{card} [data-testid=reason]"), "Not for this customer").await;
    person.submit(&format!("{card} [data-testid=reject]")).await;
    assert!(person.appears("[data-testid=approval]", LIVE).await);
    assert!(!person.html().await.contains(&rejected), "a decided call leaves the queue");
    person.click(&format!("[data-call='{approved}'] [data-testid=approve]")).await;
    assert!(person.appears("[data-testid=approvals-empty]", LIVE).await, "{}", person.html().await);

    person.goto(&format!("{base}/console/conversations/{}", conversation.id)).await;
    assert!(person.appears("[data-testid=decided-by]", LIVE).await);
    assert!(person.html().await.contains("Not for this customer"), "the reason is in the transcript");
    assert_eq!(person.console_errors().await, Vec::<String>::new());
    person.close().await;
}

#[tokio::test]
async fn a_cross_site_form_another_workspace_and_a_signed_out_person_are_refused() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    let mine = conversation_with(&stack, &admin.key.workspace_id, "Mine").await;
    let elsewhere = stack.workspace("Elsewhere").await;
    let theirs = conversation_with(&stack, &elsewhere.key.workspace_id, "Theirs").await;
    let base = serve(&stack).await;
    let attacker = MockServer::start().await;
    let forged_form = format!(
        r#"<!doctype html><form method="post" action="{base}/console/conversations/{}/takeover">
           <input name="minutes" value="60"></form><script>document.forms[0].submit()</script>"#,
        mine.id
    );
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(forged_form, "text/html"))
        .mount(&attacker)
        .await;

    let browser = Browser::start().await;
    browser.sign_in(&base, &admin.plaintext).await;
    browser.goto(&attacker.uri()).await;
    assert!(browser.appears("[data-testid=error-message]", LIVE).await, "{}", browser.html().await);
    let stored = stack.store.get_conversation(&mine.workspace_id, &mine.id).await.expect("read").expect("stored");
    assert_eq!(stored.takeover_until, None, "the cross-site form changed nothing");

    browser.goto(&format!("{base}/console/conversations/{}", theirs.id)).await;
    assert!(browser.html().await.contains("Not found"), "another workspace's conversation is 404");

    browser.goto(&format!("{base}/console/")).await;
    browser.click("[data-testid=sign-out]").await;
    assert!(browser.appears("[data-testid=key]", LIVE).await, "back at sign-in");
    browser.goto(&format!("{base}/console/")).await;
    assert!(browser.appears("[data-testid=key]", LIVE).await, "signed out: the inbox asks to sign in");
    browser.close().await;
}

#[tokio::test]
async fn a_prompt_version_is_read_beside_the_working_copy() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    let id = leasing_prompt(&stack, &admin.plaintext).await;
    let base = serve(&stack).await;
    let browser = Browser::start().await;
    browser.sign_in(&base, &admin.plaintext).await;
    browser.goto(&format!("{base}/console/prompts/{id}")).await;
    let text = "[data-testid=prompt-text]";
    assert!(browser.appears(text, LIVE).await);
    browser.client.find(fantoccini::Locator::Css(text)).await.expect("textarea").clear().await.expect("cleared");
    browser
        .type_into(text, "You are a helpful leasing agent.\nAnswer in one short paragraph.\nNever promise a discount.")
        .await;
    browser.submit("[data-testid=save-working-copy]").await;
    assert!(browser.appears("[data-testid=compare]", LIVE).await);
    browser.type_into("[data-testid=version-title]", "Shorter answers").await;
    browser.submit("[data-testid=save-version]").await;
    assert!(browser.appears("[data-testid=version]", LIVE).await);
    browser.goto(&format!("{base}/console/prompts/{id}?compare=1")).await;
    assert!(browser.appears("[data-testid=diff] ins", LIVE).await, "{}", browser.html().await);
    assert!(browser.html().await.contains("Never promise a discount."));
    browser.screenshot("prompt-diff").await;
    assert_eq!(browser.console_errors().await, Vec::<String>::new());
    browser.close().await;
}

#[tokio::test]
async fn an_approved_call_runs_and_its_result_is_in_the_transcript() {
    let t = crate::tool_loop::approval_loop().await;
    t.l.inbox.deliver(&meta_payload("text")).await;
    t.l.run_worker().await;
    let base = serve(&t.l.inbox.stack).await;
    let browser = Browser::start().await;
    browser.sign_in(&base, &t.l.inbox.key).await;

    browser.goto(&format!("{base}/console/approvals")).await;
    assert!(browser.appears("[data-testid=approve]", LIVE).await, "{}", browser.html().await);
    let queue = browser.html().await;
    assert!(queue.contains("book_viewing"));
    assert!(
        queue.contains(r#"data-testid="last-turns""#) && queue.contains("Hi, is the 2-bedroom still available?"),
        "what led to the call: {queue}"
    );
    browser.click("[data-testid=approve]").await;
    assert!(browser.appears("[data-testid=approvals-empty]", LIVE).await);
    t.l.run_worker().await;

    browser.goto(&format!("{base}/console/")).await;
    browser.click("[data-testid=inbox-row] a").await;
    assert!(browser.appears("[data-testid=result]", LIVE).await, "{}", browser.html().await);
    let page = browser.html().await;
    assert!(page.contains("booked"), "the tool's result");
    assert!(page.contains("decided by first admin key"), "who approved it, by name");
    assert!(page.contains("Your viewing is booked for Saturday."), "the agent's reply after the result");
    assert_eq!(browser.console_errors().await, Vec::<String>::new());
    browser.close().await;
}
