//! A contact's data on request: the export holds what was stored of them and nothing of anyone
//! else; after erasure nothing of them is readable through any route or left in S3, a redelivered
//! old message does not bring them back, and another workspace's contact with the same number
//! is untouched.

use colloquy_domain::model::{Channel, Contact, Conversation, ConversationId, Role, WorkspaceId};
use colloquy_domain::ports::ConversationStore;
use colloquy_tests::{call, meta_payload, Answer, ApiCall, TestStack};
use serde_json::{json, Value};

use crate::agent_loop::{agent_loop, Loop};
use crate::console::conversation_with;

/// The contact of `events/whatsapp/text.json`.
const ANNA: &str = "4915112345678";

async fn export(l: &Loop, key: &str, wa_id: &str) -> Answer {
    let request = ApiCall::fixture("export-contact").key(key).path_param("waId", wa_id);
    call("export-contact", &l.inbox.stack.app, request).await
}

async fn erase(l: &Loop, key: &str, wa_id: &str) -> Answer {
    let request = ApiCall::fixture("erase-contact").key(key).path_param("waId", wa_id);
    call("erase-contact", &l.inbox.stack.app, request).await
}

async fn workspace_id(l: &Loop) -> WorkspaceId {
    let got = call("get-workspace", &l.inbox.stack.app, ApiCall::fixture("get-workspace").key(&l.inbox.key)).await;
    WorkspaceId::from_raw(got.body["id"].as_str().unwrap_or_default())
}

/// A conversation of `wa_id` in `workspace`, stored as the webhook would store one.
async fn conversation_of(stack: &TestStack, workspace: &WorkspaceId, wa_id: &str) -> Conversation {
    let now = time::OffsetDateTime::now_utc();
    let mut conversation = Conversation::start_api(workspace, "agent_1".into(), now);
    let contact = Contact { phone_number: format!("+{wa_id}"), wa_id: wa_id.into(), name: Some("Anna".into()) };
    conversation.channel = Channel::WhatsApp { phone_number_id: "106540352242922".into(), contact };
    stack.store.save_conversation(&conversation, None, &[]).await.expect("stored");
    conversation
}

async fn get_conversation(l: &Loop, id: &str) -> Answer {
    let request = ApiCall::fixture("get-conversation").key(&l.inbox.key).path_param("id", id);
    call("get-conversation", &l.inbox.stack.app, request).await
}

/// Anna wrote and was answered; she has a voice note's object in S3.
async fn anna_wrote(l: &Loop) -> (WorkspaceId, String) {
    l.mount_ok("Yes, it is still available.").await;
    assert_eq!(l.inbox.deliver(&meta_payload("text")).await.status, 200);
    l.run_worker().await;
    let workspace = workspace_id(l).await;
    let conversation = l.inbox.conversations().await[0]["id"].as_str().unwrap_or_default().to_owned();
    let key = format!("media/{workspace}/{conversation}/0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e9f");
    l.inbox.stack.app.media.put(&key, b"OggS voice".to_vec(), "audio/ogg").await.expect("stored in S3");
    (workspace, conversation)
}

#[tokio::test]
async fn an_export_holds_what_was_stored_of_the_contact_and_nothing_of_anyone_else() {
    let l = agent_loop().await;
    let (workspace, conversation) = anna_wrote(&l).await;
    let other_contact = conversation_with(&l.inbox.stack, &workspace, "Bea").await;
    let stranger = l.inbox.stack.workspace("Globex").await;
    let theirs = conversation_of(&l.inbox.stack, &stranger.key.workspace_id, ANNA).await;

    let exported = export(&l, &l.inbox.key, &format!("+{ANNA}")).await;

    assert_eq!(exported.status, 200, "{}", exported.body);
    assert_eq!((&exported.body["waId"], &exported.body["truncated"]), (&json!(ANNA), &json!(false)));
    let conversations = exported.body["conversations"].as_array().cloned().unwrap_or_default();
    let ids: Vec<&Value> = conversations.iter().map(|c| &c["id"]).collect();
    assert_eq!(ids, vec![&json!(conversation)], "Anna's conversation only");
    let texts: Vec<&Value> =
        conversations[0]["messages"].as_array().into_iter().flatten().map(|m| &m["text"]).collect();
    assert_eq!(texts, vec![&json!("Hi, is the 2-bedroom still available?"), &json!("Yes, it is still available.")]);
    let body = exported.body.to_string();
    assert!(!body.contains(other_contact.id.as_str()) && !body.contains(theirs.id.as_str()), "{body}");
    let theirs_exported = export(&l, &stranger.plaintext, ANNA).await;
    let stranger_ids: Vec<Value> =
        theirs_exported.body["conversations"].as_array().into_iter().flatten().map(|c| c["id"].clone()).collect();
    assert_eq!(stranger_ids, vec![json!(theirs.id)], "each workspace exports its own");
}

#[tokio::test]
async fn after_erasure_nothing_of_the_contact_is_left_and_an_old_message_does_not_bring_them_back() {
    let l = agent_loop().await;
    let stack = &l.inbox.stack;
    let (workspace, conversation) = anna_wrote(&l).await;
    let other_contact = conversation_with(stack, &workspace, "Bea").await;
    let stranger = stack.workspace("Globex").await;
    let theirs = conversation_of(stack, &stranger.key.workspace_id, ANNA).await;
    let media_key = format!("media/{workspace}/{conversation}/0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e9f");

    let erased = erase(&l, &l.inbox.key, ANNA).await;

    assert_eq!(erased.status, 200, "{}", erased.body);
    assert_eq!(
        (&erased.body["conversations"], &erased.body["messages"], &erased.body["mediaObjects"]),
        (&json!(1), &json!(2), &json!(1)),
        "{}",
        erased.body
    );
    assert_eq!(get_conversation(&l, &conversation).await.status, 404);
    let messages = ApiCall::fixture("list-conversation-messages").key(&l.inbox.key).path_param("id", &conversation);
    assert_eq!(call("list-conversation-messages", &stack.app, messages).await.status, 404);
    let listed: Vec<Value> = l.inbox.conversations().await.iter().map(|c| c["id"].clone()).collect();
    assert_eq!(listed, vec![json!(other_contact.id)], "the other contact stays");
    assert!(stack.app.media.get(&media_key).await.is_err(), "the media object is gone from S3");
    let nothing = export(&l, &l.inbox.key, ANNA).await;
    assert_eq!(nothing.body["conversations"], json!([]), "{}", nothing.body);
    let untouched = stack.store.get_conversation(&stranger.key.workspace_id, &theirs.id).await.expect("read");
    assert!(untouched.is_some(), "another workspace's contact with the same number is untouched");
    let history =
        stack.store.list_messages(&ConversationId::from_raw(conversation.as_str()), &Default::default()).await;
    assert!(history.map(|page| page.items.is_empty()).unwrap_or(false), "no message left in the table");

    // Meta redelivers the message Anna sent before: nothing comes back.
    assert_eq!(l.inbox.deliver(&meta_payload("text")).await.status, 200);
    let listed: Vec<Value> = l.inbox.conversations().await.iter().map(|c| c["id"].clone()).collect();
    assert_eq!(listed, vec![json!(other_contact.id)], "a redelivered old message is dropped");

    // Idempotent.
    let again = erase(&l, &l.inbox.key, ANNA).await;
    assert_eq!((again.status, &again.body["conversations"], &again.body["messages"]), (200, &json!(0), &json!(0)));

    // She writes again afterwards: a new conversation, with nothing of the old one.
    stack.clock.advance(time::Duration::minutes(1));
    let fresh = meta_payload("text").replace("wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBDMEY0", "wamid.AFTER");
    assert_eq!(l.inbox.deliver(&fresh).await.status, 200);
    let listed = l.inbox.conversations().await;
    assert_eq!(listed.len(), 2, "a new conversation for a new message");
    assert!(listed.iter().all(|c| c["id"] != json!(conversation)));
}

#[tokio::test]
async fn erasure_is_for_admins_recorded_without_the_number_and_checks_the_number() {
    let l = agent_loop().await;
    let (_, conversation) = anna_wrote(&l).await;
    let writer = l.inbox.stack.key_for(&l.inbox.key, Role::Write).await;

    let refused = erase(&l, &writer, ANNA).await;
    let refused_export = export(&l, &writer, ANNA).await;
    let nonsense = erase(&l, &l.inbox.key, "not-a-number").await;

    assert_eq!((refused.status, refused_export.status), (403, 403));
    assert_eq!((nonsense.status, nonsense.error_code()), (400, "invalid_request"), "{}", nonsense.body);
    assert!(nonsense.body.to_string().contains("waId"), "{}", nonsense.body);
    assert_eq!(get_conversation(&l, &conversation).await.status, 200, "nothing erased");

    assert_eq!(erase(&l, &l.inbox.key, ANNA).await.status, 200);
    let log = call("list-audit-log", &l.inbox.stack.app, ApiCall::fixture("list-audit-log").key(&l.inbox.key)).await;
    let entry = &log.body["results"][0];
    assert_eq!((&entry["action"], &entry["target"]), (&json!("contact.erased"), &json!("…5678")), "{}", log.body);
    assert!(!log.body.to_string().contains(ANNA), "the number does not outlive the erasure: {}", log.body);
}

#[tokio::test]
async fn conversations_stored_before_the_contact_index_are_found_once_indexed() {
    let l = agent_loop().await;
    let stack = &l.inbox.stack;
    let workspace = workspace_id(&l).await;
    let old = conversation_of(stack, &workspace, ANNA).await;
    // As an earlier version left it: the claim, no contact index.
    let key = |v: String| aws_sdk_dynamodb::types::AttributeValue::S(v);
    stack
        .dynamodb()
        .delete_item()
        .table_name(&stack.resources.table_name)
        .key("PK", key(format!("CONTACT#{workspace}#{ANNA}")))
        .key("SK", key(format!("CONV#{}", old.id)))
        .send()
        .await
        .expect("deleted");
    assert_eq!(export(&l, &l.inbox.key, ANNA).await.body["conversations"], json!([]), "not found before");

    assert!(stack.store.index_contacts().await.expect("indexed") >= 1);
    assert!(stack.store.index_contacts().await.is_ok(), "safe to run again");

    let found = export(&l, &l.inbox.key, ANNA).await;
    let ids: Vec<Value> =
        found.body["conversations"].as_array().into_iter().flatten().map(|c| c["id"].clone()).collect();
    assert_eq!(ids, vec![json!(old.id)], "{}", found.body);
    assert_eq!(erase(&l, &l.inbox.key, ANNA).await.body["conversations"], json!(1));
}
