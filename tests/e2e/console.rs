//! The operator console through its route rows, on moto: sign-in and its cookie, the guard (role,
//! CSRF, same origin, another workspace), the inbox, takeover and approvals — asserted on status,
//! headers, the HTML a person sees, and what was stored.

use colloquy_api::routes;
use colloquy_domain::console_sessions::model::hash_secret;
use colloquy_domain::model::{
    Channel, Contact, Conversation, DeliveryStatus, Direction, Message, MessageKind, Role, WorkspaceId,
};
use colloquy_domain::ports::{ConversationStore, DueApproval, SessionStore, ToolCallStore};
use colloquy_domain::tools::call::{public_id, ToolCall, ToolCallStatus};
use colloquy_domain::usage::model::{Tokens, UsageDelta};
use colloquy_tests::{ApiCall, TestStack};

/// What a browser gets back.
pub(crate) struct Page {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub html: String,
}

impl Page {
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|value| value.to_str().ok()).unwrap_or_default()
    }

    /// The session secret a sign-in set.
    pub(crate) fn session_secret(&self) -> String {
        let cookie = self.header("set-cookie");
        cookie.strip_prefix("colloquy_session=").and_then(|rest| rest.split(';').next()).unwrap_or_default().to_owned()
    }

    /// The CSRF token the page's forms carry.
    pub(crate) fn csrf(&self) -> String {
        let marker = r#"name="csrf" value=""#;
        let start = self.html.find(marker).map(|at| at + marker.len()).unwrap_or_default();
        self.html[start..].split('"').next().unwrap_or_default().to_owned()
    }
}

/// A request from a browser: one of the console's fixtures, with this path, cookie and form.
pub(crate) struct Browser<'a> {
    pub stack: &'a TestStack,
    pub secret: String,
}

impl<'a> Browser<'a> {
    pub(crate) fn signed_out(stack: &'a TestStack) -> Self {
        Self { stack, secret: String::new() }
    }

    pub(crate) async fn signed_in(stack: &'a TestStack, key: &str) -> Self {
        let answer = Self::signed_out(stack).post("console-sign-in", "/console/sign-in", &[("key", key)]).await;
        assert_eq!(answer.status, 303, "{}", answer.html);
        Self { stack, secret: answer.session_secret() }
    }

    pub(crate) async fn get(&self, fixture: &str, path: &str) -> Page {
        self.send(self.event(fixture, path)).await
    }

    pub(crate) async fn post(&self, fixture: &str, path: &str, form: &[(&str, &str)]) -> Page {
        let mut body = form_urlencoded::Serializer::new(String::new());
        for (name, value) in form {
            body.append_pair(name, value);
        }
        self.send(self.event(fixture, path).body(body.finish())).await
    }

    /// Posts a form with the CSRF token of the page at `page_path`.
    pub(crate) async fn submit(
        &self,
        page_fixture: &str,
        page_path: &str,
        fixture: &str,
        path: &str,
        form: &[(&str, &str)],
    ) -> Page {
        let token = self.get(page_fixture, page_path).await.csrf();
        let mut fields = vec![("csrf", token.as_str())];
        fields.extend_from_slice(form);
        self.post(fixture, path, &fields).await
    }

    pub(crate) fn event(&self, fixture: &str, path: &str) -> ApiCall {
        let call = ApiCall::fixture(fixture).header("cookie", &format!("colloquy_session={}", self.secret));
        let call = call.raw_path(path);
        match routes::find(call.request().method().as_str(), path) {
            Some((_, params)) => params.iter().fold(call, |call, (name, value)| call.path_param(name, value)),
            None => panic!("no console route for {path}"),
        }
    }

    pub(crate) async fn send(&self, call: ApiCall) -> Page {
        let request = call.request();
        let path = request.uri().path().to_owned();
        let (route, _) = routes::find(request.method().as_str(), &path).expect("a console route");
        let response = routes::dispatch(route, &self.stack.app.restricted_to(route.needs), &request).await;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let html = String::from_utf8_lossy(response.body().as_ref()).into_owned();
        Page { status, headers, html }
    }
}

pub(crate) async fn conversation_with(stack: &TestStack, workspace: &WorkspaceId, name: &str) -> Conversation {
    let now = time::OffsetDateTime::now_utc();
    let mut conversation = Conversation::start_api(workspace, "agent_1".into(), now);
    // Each its own contact: a (number, contact) pair has one conversation.
    let digits = u32::from_str_radix(&colloquy_domain::model::ids::random_hex(3), 16).unwrap_or_default();
    let wa_id = format!("1555{digits:08}");
    let contact = Contact { phone_number: format!("+{wa_id}"), wa_id, name: Some(name.into()) };
    conversation.channel = Channel::WhatsApp { phone_number_id: "106540352242922".into(), contact };
    conversation.last_inbound_at = Some(now);
    conversation.last_message = Some("<b>bold</b> & more".into());
    stack.store.save_conversation(&conversation, None, &[]).await.expect("stored");
    conversation
}

pub(crate) async fn awaiting_call(stack: &TestStack, conversation: &Conversation) -> String {
    let now = time::OffsetDateTime::now_utc();
    let mut message =
        Message::new(&conversation.id, Direction::Tool, MessageKind::ToolCall, DeliveryStatus::Received, now);
    let expires_at = now + time::Duration::minutes(30);
    message.tool_call = Some(ToolCall {
        call_id: "call_1".into(),
        batch: message.id.to_string(),
        tool: "refund_order".into(),
        arguments: r#"{"order":"A-1","card":"4111 1111 1111 1111"}"#.into(),
        url: Some("https://tools.example.com/refund".into()),
        status: ToolCallStatus::PendingApproval,
        assistant_text: None,
        decided_by: None,
        reason: None,
        result: None,
        error: None,
        latency_ms: None,
        expires_at: Some(expires_at),
    });
    let watch = DueApproval {
        workspace_id: conversation.workspace_id.clone(),
        conversation_id: conversation.id.clone(),
        message_id: message.id.clone(),
        expires_at,
    };
    let usage = UsageDelta {
        workspace_id: conversation.workspace_id.clone(),
        agent_id: conversation.agent_id.clone(),
        day: colloquy_domain::usage::model::day_of(now),
        tokens: Tokens::default(),
    };
    let revised = conversation.revised(now);
    stack
        .store
        .save_tool_calls(&revised, conversation.revision, &[message.clone()], &[watch], &usage)
        .await
        .expect("stored");
    public_id(&conversation.id, &message.id)
}

#[tokio::test]
async fn a_key_signs_in_once_and_the_cookie_is_a_session_stored_only_as_a_hash() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    let browser = Browser::signed_out(&stack);

    let refused = browser.post("console-sign-in", "/console/sign-in", &[("key", "clq_nope_nope")]).await;
    assert_eq!(refused.status, 401);
    assert!(
        refused.html.contains(r#"data-testid="field-error""#) && refused.html.contains("unknown or was revoked"),
        "{}",
        refused.html
    );
    assert_eq!(refused.header("set-cookie"), "", "no session for a wrong key");

    let signed_in = browser.post("console-sign-in", "/console/sign-in", &[("key", &admin.plaintext)]).await;
    assert_eq!((signed_in.status, signed_in.header("location")), (303, "/console/"));
    let cookie = signed_in.header("set-cookie");
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/console", "Max-Age=43200"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let secret = signed_in.session_secret();
    assert_eq!(secret.len(), 64);
    let stored = stack.store.get_session(&hash_secret(&secret)).await.expect("read").expect("a session");
    assert_eq!((stored.workspace_id, stored.role), (admin.key.workspace_id.clone(), Role::Admin));
    assert!(stack.store.get_session(&secret).await.expect("read").is_none(), "the secret itself is not a key");

    let inbox = Browser { stack: &stack, secret }.get("console-inbox", "/console/").await;
    assert_eq!(inbox.status, 200, "{}", inbox.html);
    assert!(inbox.html.contains("<h1>Inbox</h1>"), "{}", inbox.html);
    assert!(inbox.header("content-security-policy").contains("script-src 'self'"));
    assert_eq!(inbox.header("x-frame-options"), "DENY");
    assert_eq!(inbox.header("cache-control"), "no-store");
}

#[tokio::test]
async fn without_a_session_a_page_sends_the_browser_to_sign_in() {
    let stack = TestStack::new().await;
    let browser = Browser::signed_out(&stack);
    let page = browser.get("console-inbox", "/console/").await;
    assert_eq!((page.status, page.header("location")), (303, "/console/sign-in"));
    let poll = browser.send(browser.event("console-inbox-poll", "/console/inbox").header("hx-request", "true")).await;
    assert_eq!(poll.status, 401, "a poll is told, not redirected");
    let forged = Browser { stack: &stack, secret: "0".repeat(64) }.get("console-inbox", "/console/").await;
    assert_eq!(forged.status, 303, "an unknown secret is no session");
}

#[tokio::test]
async fn the_inbox_shows_what_contacts_wrote_as_text_and_who_needs_a_person() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    let quiet = conversation_with(&stack, &admin.key.workspace_id, "Quiet Quinn").await;
    let hostile = conversation_with(&stack, &admin.key.workspace_id, "<script>alert(1)</script>").await;
    awaiting_call(&stack, &hostile).await;
    let browser = Browser::signed_in(&stack, &admin.plaintext).await;

    let inbox = browser.get("console-inbox", "/console/").await;
    assert_eq!(inbox.status, 200);
    assert!(!inbox.html.contains("<script>alert(1)</script>"), "a contact's name is never markup");
    assert!(inbox.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{}", inbox.html);
    assert!(inbox.html.contains("&lt;b&gt;bold&lt;/b&gt; &amp; more"), "a message stays text");
    assert_eq!(inbox.html.matches(r#"data-testid="inbox-row""#).count(), 2);

    let needs = browser.get("console-inbox", "/console/").await;
    assert!(needs.html.contains(r#"data-badge="approval pending""#));
    let filtered = browser.send(browser.event("console-inbox", "/console/").query("filter", "needs-person")).await;
    assert!(filtered.html.contains(&format!(r#"data-conversation="{}""#, hostile.id)));
    assert!(!filtered.html.contains(&format!(r#"data-conversation="{}""#, quiet.id)), "only who needs a person");

    // The poll carries the workspace's newest activity: unchanged is 204, a change is the list.
    let raw = inbox.html.split("since=").nth(1).and_then(|rest| rest.split('"').next()).unwrap_or_default();
    let since = form_urlencoded::parse(format!("since={raw}").as_bytes()).next().map(|(_, v)| v.into_owned());
    let since = since.unwrap_or_default();
    let poll = |since: String| {
        browser.event("console-inbox-poll", "/console/inbox").query("filter", "all").query("since", &since)
    };
    assert_eq!(browser.send(poll(since.clone())).await.status, 204);
    conversation_with(&stack, &admin.key.workspace_id, "New Nora").await;
    let changed = browser.send(poll(since)).await;
    assert_eq!(changed.status, 200);
    assert!(changed.html.contains("New Nora"));
}

#[tokio::test]
async fn a_read_key_sees_no_buttons_and_a_forged_change_is_403() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    let conversation = conversation_with(&stack, &admin.key.workspace_id, "Rita").await;
    let reader = Browser::signed_in(&stack, &stack.key(&admin, Role::Read).await).await;
    let path = format!("/console/conversations/{}", conversation.id);

    let page = reader.get("console-conversation", &path).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(!page.html.contains(r#"data-testid="take-over""#) && !page.html.contains(r#"data-testid="composer""#));
    let forged =
        reader.submit("console-conversation", &path, "console-takeover", &format!("{path}/takeover"), &[]).await;
    assert_eq!(forged.status, 403, "{}", forged.html);
    let stored = stack.store.get_conversation(&conversation.workspace_id, &conversation.id).await.expect("read");
    assert_eq!(stored.and_then(|c| c.takeover_until), None, "nothing changed");
}

#[tokio::test]
async fn a_change_needs_the_session_s_token_and_the_console_s_own_origin() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    let conversation = conversation_with(&stack, &admin.key.workspace_id, "Tom").await;
    let writer = Browser::signed_in(&stack, &stack.key(&admin, Role::Write).await).await;
    let path = format!("/console/conversations/{}", conversation.id);
    let takeover = format!("{path}/takeover");

    let no_token = writer.post("console-takeover", &takeover, &[("minutes", "15")]).await;
    assert_eq!(no_token.status, 403, "{}", no_token.html);
    let wrong_token = writer.post("console-takeover", &takeover, &[("csrf", "f00"), ("minutes", "15")]).await;
    assert_eq!(wrong_token.status, 403);
    let token = writer.get("console-conversation", &path).await.csrf();
    let cross_site = writer
        .send(
            writer
                .event("console-takeover", &takeover)
                .header("origin", "https://evil.example")
                .header("sec-fetch-site", "cross-site")
                .body(format!("csrf={token}&minutes=15")),
        )
        .await;
    assert_eq!(cross_site.status, 403, "{}", cross_site.html);
    let stored = stack.store.get_conversation(&conversation.workspace_id, &conversation.id).await.expect("read");
    assert_eq!(stored.and_then(|c| c.takeover_until), None, "no forged form changed anything");

    let taken = writer.submit("console-conversation", &path, "console-takeover", &takeover, &[("minutes", "15")]).await;
    assert_eq!((taken.status, taken.header("location")), (303, path.as_str()), "{}", taken.html);
    let stored = stack.store.get_conversation(&conversation.workspace_id, &conversation.id).await.expect("read");
    assert!(stored.and_then(|c| c.takeover_until).is_some(), "taken over");
    let page = writer.get("console-conversation", &path).await;
    assert!(page.html.contains(r#"data-testid="hand-back""#), "{}", page.html);

    let back = writer.submit("console-conversation", &path, "console-handback", &format!("{path}/handback"), &[]).await;
    assert_eq!(back.status, 303);
    let stored = stack.store.get_conversation(&conversation.workspace_id, &conversation.id).await.expect("read");
    assert_eq!(stored.and_then(|c| c.takeover_until), None, "handed back");
}

#[tokio::test]
async fn another_workspace_s_conversation_is_404() {
    let stack = TestStack::new().await;
    let mine = stack.workspace("Mine").await;
    let theirs = stack.workspace("Theirs").await;
    let conversation = conversation_with(&stack, &theirs.key.workspace_id, "Not yours").await;
    let browser = Browser::signed_in(&stack, &mine.plaintext).await;
    let page = browser.get("console-conversation", &format!("/console/conversations/{}", conversation.id)).await;
    assert_eq!(page.status, 404, "{}", page.html);
    assert!(!page.html.contains("Not yours"));
}

#[tokio::test]
async fn approvals_are_one_queue_and_a_call_is_decided_once() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    let conversation = conversation_with(&stack, &admin.key.workspace_id, "Paula").await;
    let call = awaiting_call(&stack, &conversation).await;
    let browser = Browser::signed_in(&stack, &stack.key(&admin, Role::Write).await).await;

    let queue = browser.get("console-approvals", "/console/approvals").await;
    assert_eq!(queue.status, 200, "{}", queue.html);
    assert!(queue.html.contains(&format!(r#"data-call="{call}""#)) && queue.html.contains("refund_order"));
    assert!(!queue.html.contains("4111 1111 1111 1111"), "arguments are masked as the API masks them");

    let approve = format!("/console/tool-calls/{call}/approve");
    let decided = browser
        .submit(
            "console-approvals",
            "/console/approvals",
            "console-approve-tool-call",
            &approve,
            &[("back", "/console/approvals")],
        )
        .await;
    assert_eq!((decided.status, decided.header("location")), (303, "/console/approvals"), "{}", decided.html);
    let (conversation_id, message_id) = colloquy_domain::tools::call::parse_public_id(&call).expect("id");
    let stored = stack.store.get_message(&conversation_id, &message_id).await.expect("read").expect("stored");
    let stored_call = stored.tool_call.expect("a call");
    assert_eq!(stored_call.status, ToolCallStatus::Approved);
    assert!(stored_call.decided_by.is_some_and(|by| by.starts_with("clq_")), "recorded with who decided");

    let after = browser.get("console-approvals", "/console/approvals").await;
    assert!(after.html.contains(r#"data-testid="approvals-empty""#), "{}", after.html);
    let again = browser
        .submit(
            "console-approvals",
            "/console/approvals",
            "console-reject-tool-call",
            &format!("/console/tool-calls/{call}/reject"),
            &[("reason", "late")],
        )
        .await;
    assert_eq!(again.status, 409, "decided once: {}", again.html);
    let sent_away = browser
        .submit(
            "console-approvals",
            "/console/approvals",
            "console-approve-tool-call",
            &approve,
            &[("back", "https://evil.example/")],
        )
        .await;
    assert_ne!(sent_away.header("location"), "https://evil.example/");
}

#[tokio::test]
async fn signing_out_or_revoking_the_key_ends_the_session() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    let browser = Browser::signed_in(&stack, &admin.plaintext).await;
    let out = browser.submit("console-inbox", "/console/", "console-sign-out", "/console/sign-out", &[]).await;
    assert_eq!((out.status, out.header("location")), (303, "/console/sign-in"));
    assert!(out.header("set-cookie").contains("Max-Age=0"));
    assert_eq!(browser.get("console-inbox", "/console/").await.status, 303, "the old cookie opens nothing");

    let key = stack.key(&admin, Role::Write).await;
    let browser = Browser::signed_in(&stack, &key).await;
    assert_eq!(browser.get("console-inbox", "/console/").await.status, 200);
    let prefix: String = key.split('_').take(2).collect::<Vec<_>>().join("_");
    let revoke = ApiCall::fixture("revoke-api-key").key(&admin.plaintext).path_param("prefix", &prefix);
    let revoked = colloquy_tests::call("revoke-api-key", &stack.app, revoke).await;
    assert_eq!(revoked.status, 204, "{}", revoked.body);
    assert_eq!(browser.get("console-inbox", "/console/").await.status, 303, "a revoked key's session ends");
}

/// Counts the DynamoDB operations a client sends (`DynamoDB.Query`, `DynamoDB.GetItem`…).
#[derive(Debug, Clone, Default)]
pub(crate) struct Requests(pub(crate) std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl aws_sdk_dynamodb::config::Intercept for Requests {
    fn name(&self) -> &'static str {
        "Requests"
    }

    fn read_before_transmit(
        &self,
        context: &aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _components: &aws_sdk_dynamodb::config::RuntimeComponents,
        _config: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let target = context.request().headers().get("x-amz-target").unwrap_or_default();
        if let Ok(mut seen) = self.0.lock() {
            seen.push(target.replace("DynamoDB_20120810.", ""));
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_poll_of_an_unchanged_inbox_reads_the_table_once() {
    let mut stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    for n in 0..3 {
        conversation_with(&stack, &admin.key.workspace_id, &format!("Contact {n}")).await;
    }
    let browser = Browser::signed_in(&stack, &admin.plaintext).await;
    let secret = browser.secret.clone();
    let inbox = browser.get("console-inbox", "/console/").await;
    let raw = inbox.html.split("since=").nth(1).and_then(|rest| rest.split('"').next()).unwrap_or_default();
    let since = form_urlencoded::parse(format!("since={raw}").as_bytes()).next().map(|(_, v)| v.into_owned());

    let requests = Requests::default();
    let config = aws_sdk_dynamodb::config::Builder::from(&stack.aws).interceptor(requests.clone()).build();
    let counted = colloquy_adapters::dynamo::DynamoStore::new(
        aws_sdk_dynamodb::Client::from_conf(config),
        &stack.resources.table_name,
    );
    stack.app.store = std::sync::Arc::new(counted);
    let browser = Browser { stack: &stack, secret };
    let poll = browser.event("console-inbox-poll", "/console/inbox").query("since", &since.unwrap_or_default());
    let answer = browser.send(poll).await;
    assert_eq!(answer.status, 204);
    let seen = requests.0.lock().map(|seen| seen.clone()).unwrap_or_default();
    let reads: Vec<_> = seen.iter().filter(|op| *op == "Query" || *op == "GetItem" || *op == "Scan").collect();
    // The session and its key are read first (two GetItems); the inbox itself is one Query.
    assert_eq!(seen.iter().filter(|op| *op == "Query").count(), 1, "{seen:?}");
    assert_eq!(reads.len(), 3, "{seen:?}");
}

#[tokio::test]
async fn conversations_an_earlier_version_kept_are_moved_and_shown_again() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    let old = conversation_with(&stack, &admin.key.workspace_id, "From last year").await;
    // As version 0.2 kept it: the whole conversation in the workspace's partition, unindexed.
    let key = |pk: String, sk: String| {
        std::collections::HashMap::from([
            ("PK".to_owned(), AttributeValue::S(pk)),
            ("SK".to_owned(), AttributeValue::S(sk)),
        ])
    };
    let current = key(format!("CONV#{}", old.id), format!("STATE#{}", old.workspace_id));
    let dynamodb = stack.dynamodb();
    let table = &stack.resources.table_name;
    let read = dynamodb.get_item().table_name(table).set_key(Some(current.clone())).send().await.expect("read");
    let mut item = read.item.expect("stored in the current layout");
    dynamodb.delete_item().table_name(table).set_key(Some(current)).send().await.expect("deleted");
    item.insert("PK".into(), AttributeValue::S(format!("WS#{}", old.workspace_id)));
    item.insert("SK".into(), AttributeValue::S(format!("CONV#{}", old.id)));
    item.remove("GSI3PK");
    item.remove("GSI3SK");
    dynamodb.put_item().table_name(table).set_item(Some(item)).send().await.expect("as 0.2 wrote it");
    let browser = Browser::signed_in(&stack, &admin.plaintext).await;
    assert!(!browser.get("console-inbox", "/console/").await.html.contains("From last year"));
    let get = |id: &str| {
        colloquy_tests::call(
            "get-conversation",
            &stack.app,
            ApiCall::fixture("get-conversation").key(&admin.plaintext).path_param("id", id),
        )
    };
    assert_eq!(get(old.id.as_str()).await.status, 404, "not where this version reads it");

    assert_eq!(stack.store.migrate_conversations().await.expect("migrated"), 1);
    assert_eq!(stack.store.migrate_conversations().await.expect("again"), 0, "a second run changes nothing");
    assert!(browser.get("console-inbox", "/console/").await.html.contains("From last year"));
    let moved = get(old.id.as_str()).await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(moved.body["id"], old.id.as_str(), "{}", moved.body);
    let listed = colloquy_tests::call(
        "list-conversations",
        &stack.app,
        ApiCall::fixture("list-conversations").key(&admin.plaintext),
    )
    .await;
    assert_eq!(listed.body["count"], 1, "listed once: {}", listed.body);
}
