//! The console's other pages: prompts (edit, save, diff, restore), usage, media served on the
//! console's own origin, done and analysis, and the template composer outside the window.

use colloquy_domain::media::model::MediaStatus;
use colloquy_domain::model::{
    ConversationId, DeliveryStatus, Direction, MediaRef, Message, MessageKind, PageRequest, Role,
};
use colloquy_domain::ports::{ConversationStore, PromptFilter, PromptStore};
use colloquy_tests::{call, ApiCall, TestStack};

use crate::console::{conversation_with, Browser};

pub(crate) async fn leasing_prompt(stack: &TestStack, key: &str) -> String {
    let created = call("create-prompt", &stack.app, ApiCall::fixture("create-prompt").key(key)).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let workspace = stack.app_workspace(key).await;
    let prompt = stack.store.find_prompt_by_name(&workspace, "customer_support_v1").await.expect("read");
    prompt.expect("created").id.to_string()
}

#[tokio::test]
async fn a_prompt_is_edited_saved_compared_and_restored_with_errors_beside_the_field() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    let id = leasing_prompt(&stack, &admin.plaintext).await;
    let writer = Browser::signed_in(&stack, &stack.key(&admin, Role::Write).await).await;
    let path = format!("/console/prompts/{id}");

    let listed = writer.get("console-prompts", "/console/prompts").await;
    assert!(listed.html.contains("customer_support_v1"), "{}", listed.html);

    let empty = writer
        .submit("console-prompt", &path, "console-prompt-edit", &format!("{path}/edit"), &[("prompt", "  ")])
        .await;
    assert_eq!(empty.status, 400, "{}", empty.html);
    assert!(empty.html.contains(r#"data-testid="field-error""#) && empty.html.contains("prompt"), "{}", empty.html);

    let edited = "You are a helpful customer support agent.\nAnswer in one short paragraph.";
    let saved = writer
        .submit("console-prompt", &path, "console-prompt-edit", &format!("{path}/edit"), &[("prompt", edited)])
        .await;
    assert_eq!((saved.status, saved.header("location")), (303, path.as_str()), "{}", saved.html);
    let version = writer
        .submit(
            "console-prompt",
            &path,
            "console-prompt-save-version",
            &format!("{path}/versions"),
            &[("title", "Shorter"), ("description", "one paragraph")],
        )
        .await;
    assert_eq!(version.status, 303, "{}", version.html);

    let compared = writer.send(writer.event("console-prompt", &path).query("compare", "1")).await;
    assert_eq!(compared.status, 200, "{}", compared.html);
    assert!(compared.html.contains(r#"data-testid="diff""#));
    assert!(
        compared.html.contains("<del>− You are a helpful customer support agent. Be polite and professional."),
        "{}",
        compared.html
    );
    assert!(compared.html.contains("<ins>+ Answer in one short paragraph."), "{}", compared.html);
    assert!(compared.html.contains("Shorter"), "the saved version's title is listed");

    let restore = format!("{path}/versions/1/restore");
    let restored = writer.submit("console-prompt", &path, "console-prompt-restore", &restore, &[]).await;
    assert_eq!(restored.status, 303, "{}", restored.html);
    let workspace = stack.app_workspace(&admin.plaintext).await;
    let prompt = stack.store.get_prompt(&workspace, &id.clone().into()).await.expect("read").expect("prompt");
    assert_eq!(prompt.content.text, "You are a helpful customer support agent. Be polite and professional.");
    assert!(prompt.edited_by.is_some_and(|by| by.starts_with("clq_")), "who restored it is recorded");
    let listed =
        stack.store.list_prompts(&workspace, &PromptFilter::default(), &PageRequest { limit: 10, cursor: None }).await;
    assert_eq!(listed.expect("listed").items.len(), 1);

    let reader = Browser::signed_in(&stack, &stack.key(&admin, Role::Read).await).await;
    let read_only = reader.get("console-prompt", &path).await;
    assert!(read_only.html.contains("readonly") && !read_only.html.contains(r#"data-testid="save-version""#));
}

#[tokio::test]
async fn usage_is_a_chart_of_thirty_days() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    let browser = Browser::signed_in(&stack, &admin.plaintext).await;
    let page = browser.get("console-usage", "/console/usage").await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains(r#"data-testid="usage-chart""#));
    assert_eq!(page.html.matches("<g data-day=").count(), 30, "one bar a day");
}

pub(crate) async fn message_with_media(
    stack: &TestStack,
    conversation: &ConversationId,
    kind: MessageKind,
    mime: &str,
    bytes: &[u8],
) -> Message {
    let mut message =
        Message::new(conversation, Direction::Inbound, kind, DeliveryStatus::Received, time::OffsetDateTime::now_utc());
    let key = format!("media/test/{conversation}/{}", message.id);
    stack.app.media.put(&key, bytes.to_vec(), mime).await.expect("stored");
    message.media = Some(MediaRef {
        id: "media-1".into(),
        mime_type: Some(mime.into()),
        filename: Some("lease<script>.html".into()),
        status: MediaStatus::Stored,
        key: Some(key),
        transcript: Some("hello from a voice note".into()),
        ..Default::default()
    });
    message
}

#[tokio::test]
async fn media_is_served_by_the_console_and_a_document_is_only_ever_a_download() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    let conversation = conversation_with(&stack, &admin.key.workspace_id, "Vera").await;
    let voice = message_with_media(&stack, &conversation.id, MessageKind::Audio, "audio/ogg", b"OggS-voice").await;
    let page =
        message_with_media(&stack, &conversation.id, MessageKind::Document, "text/html", b"<script>alert(1)</script>")
            .await;
    let revised = conversation.revised(time::OffsetDateTime::now_utc());
    stack
        .store
        .save_conversation(&revised, Some(conversation.revision), &[voice.clone(), page.clone()])
        .await
        .expect("stored");
    let browser = Browser::signed_in(&stack, &admin.plaintext).await;
    let base = format!("/console/conversations/{}", conversation.id);

    let transcript = browser.get("console-conversation", &base).await;
    assert!(transcript.html.contains(r#"data-testid="voice-player""#), "{}", transcript.html);
    assert!(transcript.html.contains("hello from a voice note"));
    let audio = browser.get("console-media", &format!("{base}/media/{}", voice.id)).await;
    assert_eq!(
        (audio.status, audio.header("content-type"), audio.header("content-disposition")),
        (200, "audio/ogg", "inline")
    );
    assert_eq!(audio.html, "OggS-voice");

    let download = browser.get("console-media", &format!("{base}/media/{}", page.id)).await;
    assert_eq!(download.status, 200);
    assert_eq!(download.header("content-type"), "application/octet-stream", "never rendered as a page");
    assert_eq!(download.header("content-disposition"), r#"attachment; filename="leasescript.html""#);
    assert_eq!(download.header("x-content-type-options"), "nosniff");

    let other = stack.workspace("Other").await;
    let stranger = Browser::signed_in(&stack, &other.plaintext).await;
    assert_eq!(stranger.get("console-media", &format!("{base}/media/{}", voice.id)).await.status, 404);
}

#[tokio::test]
async fn done_is_recorded_and_a_closed_window_offers_a_template() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    let mut conversation = conversation_with(&stack, &admin.key.workspace_id, "Wes").await;
    let browser = Browser::signed_in(&stack, &admin.plaintext).await;
    let path = format!("/console/conversations/{}", conversation.id);

    let done = browser.submit("console-conversation", &path, "console-done", &format!("{path}/done"), &[]).await;
    assert_eq!(done.status, 303, "{}", done.html);
    let stored = stack.store.get_conversation(&conversation.workspace_id, &conversation.id).await.expect("read");
    let stored = stored.expect("stored");
    assert!(stored.done_at.is_some(), "marked done");
    assert!(stored.done_by.is_some_and(|by| admin.plaintext.starts_with(&by)), "by whom");
    assert!(browser.get("console-conversation", &path).await.html.contains("Marked done by first admin key"));

    conversation = stack
        .store
        .get_conversation(&conversation.workspace_id, &conversation.id)
        .await
        .expect("read")
        .expect("stored");
    let mut closed = conversation.revised(time::OffsetDateTime::now_utc());
    closed.last_inbound_at = Some(time::OffsetDateTime::now_utc() - time::Duration::hours(30));
    stack.store.save_conversation(&closed, Some(conversation.revision), &[]).await.expect("stored");
    let page = browser.get("console-conversation", &path).await;
    assert!(
        page.html.contains(r#"data-testid="template-composer""#) && !page.html.contains(r#"data-testid="composer""#),
        "{}",
        page.html
    );
}

#[tokio::test]
async fn an_agent_is_changed_with_the_api_s_rules_and_errors_beside_the_field() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    let agent = crate::agents::agent_for(&stack, &admin.plaintext).await;
    let writer = Browser::signed_in(&stack, &stack.key(&admin, Role::Write).await).await;
    let path = format!("/console/agents/{agent}");

    let listed = writer.get("console-agents", "/console/agents").await;
    assert_eq!(listed.status, 200, "{}", listed.html);
    assert!(listed.html.contains(r#"data-testid="agent-row""#));
    let page = writer.get("console-agent", &path).await;
    let prompt = page
        .html
        .split(r#"<option value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned();

    let hot = [
        ("promptId", prompt.as_str()),
        ("promptVersion", ""),
        ("model", "gpt-4o-mini"),
        ("temperature", "3"),
        ("replyDelaySeconds", ""),
    ];
    let refused = writer.submit("console-agent", &path, "console-agent-update", &path, &hot).await;
    assert_eq!(refused.status, 400, "{}", refused.html);
    let beside = refused.html.split(r#"name="temperature""#).nth(1).unwrap_or_default();
    assert!(
        beside.trim_start().contains("must be a number from 0 to 2"),
        "the error is beside its field: {}",
        refused.html
    );

    let calm = [
        ("promptId", prompt.as_str()),
        ("promptVersion", ""),
        ("model", "gpt-4o-mini"),
        ("temperature", "0.3"),
        ("replyDelaySeconds", "5"),
    ];
    let saved = writer.submit("console-agent", &path, "console-agent-update", &path, &calm).await;
    assert_eq!((saved.status, saved.header("location")), (303, path.as_str()), "{}", saved.html);
    let workspace = stack.app_workspace(&admin.plaintext).await;
    let stored = colloquy_domain::ports::AgentStore::get_agent(stack.store.as_ref(), &workspace, &agent.clone().into())
        .await
        .expect("read")
        .expect("agent");
    assert_eq!(stored.model.temperature.map(|t| t.value()), Some(0.3));
    assert_eq!(stored.reply_delay_seconds.map(|d| d.seconds()), Some(5));

    let reader = Browser::signed_in(&stack, &stack.key(&admin, Role::Read).await).await;
    let read_only = reader.get("console-agent", &path).await;
    assert!(!read_only.html.contains(r#"data-testid="save-agent""#));
    let forged = reader.submit("console-agent", &path, "console-agent-update", &path, &calm).await;
    assert_eq!(forged.status, 403);
}

#[tokio::test]
async fn a_message_a_policy_blocked_says_so_in_the_transcript() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    let conversation = conversation_with(&stack, &admin.key.workspace_id, "Iban Ivo").await;
    let now = time::OffsetDateTime::now_utc();
    let mut blocked =
        Message::new(&conversation.id, Direction::Inbound, MessageKind::Text, DeliveryStatus::Received, now);
    blocked.text = Some("my IBAN is DE89 3704 0044 0532 0130 00".into());
    blocked.error = Some(colloquy_domain::model::MessageError::blocked_by("no-bank-details"));
    let revised = conversation.revised(now);
    stack.store.save_conversation(&revised, Some(conversation.revision), &[blocked]).await.expect("stored");
    let browser = Browser::signed_in(&stack, &admin.plaintext).await;
    let page = browser.get("console-conversation", &format!("/console/conversations/{}", conversation.id)).await;
    assert!(page.html.contains(r#"data-testid="policy-blocked""#), "{}", page.html);
    assert!(page.html.contains("blocked by the policy `no-bank-details`"));
}

async fn failed_rows(l: &crate::agent_loop::Loop) -> usize {
    let browser = Browser::signed_in(&l.inbox.stack, &l.inbox.key).await;
    let page = browser.send(browser.event("console-inbox", "/console/").query("filter", "failed")).await;
    assert_eq!(page.status, 200, "{}", page.html);
    page.html.matches(r#"data-badge="reply failed""#).count()
}

#[tokio::test]
async fn a_reply_whatsapp_refused_shows_in_the_inbox_until_a_reply_is_made() {
    use wiremock::matchers::{body_partial_json, method, path};
    use wiremock::Mock;
    let l = crate::agent_loop::agent_loop().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(crate::agent_loop::completion("hi"))
        .mount(&l.llm)
        .await;
    // The first reply (not the read receipt) is refused for good.
    Mock::given(method("POST"))
        .and(body_partial_json(serde_json::json!({"type": "text"})))
        .respond_with(crate::conversations::meta_error(131026, "Message undeliverable"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&l.graph)
        .await;
    Mock::given(method("POST"))
        .respond_with(crate::agent_loop::sent("wamid.OUT1"))
        .with_priority(2)
        .mount(&l.graph)
        .await;
    l.inbox.deliver(&colloquy_tests::meta_payload("text")).await;
    l.run_worker().await;
    assert_eq!(failed_rows(&l).await, 1, "the inbox says the reply failed");

    l.inbox.stack.clock.advance(time::Duration::minutes(1));
    let second =
        colloquy_tests::meta_payload("text").replace("wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBDMEY0", "wamid.SECOND");
    assert_eq!(l.inbox.deliver(&second).await.status, 200);
    l.run_worker().await;
    assert_eq!(failed_rows(&l).await, 0, "a reply made since clears it");

    // Meta reports, later, that the reply it had taken (wamid.OUT1) failed.
    l.inbox.deliver(&colloquy_tests::meta_payload("status-failed-131047")).await;
    assert!(l.inbox.messages().await.iter().any(|m| m["error"]["code"] == 131047), "the status was recorded");
    assert_eq!(failed_rows(&l).await, 1, "a failure Meta reports later shows too");
}

#[tokio::test]
async fn a_closed_window_offers_the_number_s_approved_templates_and_sends_the_one_chosen() {
    use wiremock::matchers::{body_partial_json, method, path_regex};
    use wiremock::{Mock, ResponseTemplate};
    let l = crate::agent_loop::agent_loop().await;
    assert_eq!(l.inbox.deliver(&colloquy_tests::meta_payload("text")).await.status, 200);
    let conversation = l.inbox.conversations().await[0]["id"].as_str().unwrap_or_default().to_owned();
    l.inbox.stack.clock.advance(time::Duration::hours(25));
    let listed = serde_json::json!({"data": [
        {"name": "viewing_reminder", "language": "en_GB", "status": "APPROVED", "components": [
            {"type": "BODY", "text": "Hi {{1}}, your viewing is on {{2}}."}]},
        {"name": "draft_offer", "language": "en_GB", "status": "REJECTED", "components": []}
    ]});
    Mock::given(method("GET"))
        .and(path_regex(format!("/{}/message_templates$", crate::webhook::WABA_ID)))
        .respond_with(ResponseTemplate::new(200).set_body_json(listed))
        .with_priority(1)
        .mount(&l.inbox.stack.meta)
        .await;
    let browser = Browser::signed_in(&l.inbox.stack, &l.inbox.key).await;
    let path = format!("/console/conversations/{conversation}");

    let page = browser.get("console-conversation", &path).await;
    assert!(page.html.contains(r#"data-testid="template-choice""#), "{}", page.html);
    assert!(page.html.contains("viewing_reminder (en_GB) — 2 variables: Hi {{1}}, your viewing is on {{2}}."));
    assert!(!page.html.contains("draft_offer"), "only approved templates are offered");

    Mock::given(method("POST"))
        .and(body_partial_json(serde_json::json!({"type": "template", "template": {"name": "viewing_reminder", "language": {"code": "en_GB"}}})))
        .respond_with(crate::agent_loop::sent("wamid.TEMPLATE1"))
        .mount(&l.graph)
        .await;
    let form = [("choice", "viewing_reminder:en_GB"), ("variables", "Ana\nSaturday")];
    let sent =
        browser.submit("console-conversation", &path, "console-send-message", &format!("{path}/messages"), &form).await;
    assert_eq!(sent.status, 303, "{}", sent.html);
    let stored = l.inbox.messages().await;
    assert!(stored.iter().any(|m| m["template"] == "viewing_reminder" && m["status"] == "sent"), "{stored:?}");
}

#[tokio::test]
async fn an_agent_follows_a_label_from_the_console_and_a_label_with_a_version_is_refused_beside_it() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    let agent = crate::agents::agent_for(&stack, &admin.plaintext).await;
    let prompt = crate::prompts::prompt_id(&stack, &admin.plaintext, "support").await;
    let moved = call(
        "move-prompt-label",
        &stack.app,
        ApiCall::fixture("move-prompt-label")
            .key(&admin.plaintext)
            .path_param("promptId", &prompt)
            .path_param("label", "production")
            .json(serde_json::json!({"version": 1})),
    )
    .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    let writer = Browser::signed_in(&stack, &stack.key(&admin, Role::Write).await).await;
    let path = format!("/console/agents/{agent}");
    let form = |version: &'static str| {
        [
            ("promptId", prompt.as_str()),
            ("promptVersion", version),
            ("promptLabel", "production"),
            ("model", "gpt-4o-mini"),
            ("temperature", ""),
            ("replyDelaySeconds", ""),
        ]
    };

    let refused = writer.submit("console-agent", &path, "console-agent-update", &path, &form("1")).await;
    let saved = writer.submit("console-agent", &path, "console-agent-update", &path, &form("")).await;

    assert_eq!(refused.status, 400, "{}", refused.html);
    let beside = refused.html.split(r#"name="promptLabel""#).nth(1).unwrap_or_default();
    assert!(beside.contains("a version or a label, not both"), "beside its field: {}", refused.html);
    assert_eq!(saved.status, 303, "{}", saved.html);
    let listed = writer.get("console-agents", "/console/agents").await;
    assert!(listed.html.contains("label production"), "{}", listed.html);
}
