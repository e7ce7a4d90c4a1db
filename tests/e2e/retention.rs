//! Retention: a workspace that keeps messages for N days has older messages and their media
//! deleted by the hourly sweep, once a day; other workspaces and newer messages are untouched.

use colloquy_domain::media::model::MediaRef;
use colloquy_domain::model::deadline::Deadline;
use colloquy_domain::model::{
    Channel, Contact, Conversation, DeliveryStatus, Direction, Message, MessageKind, WorkspaceId,
};
use colloquy_domain::ports::{Clock, ConversationStore};
use colloquy_tests::{call, ApiCall, TestStack};
use serde_json::{json, Value};
use time::Duration;

async fn set_retention(stack: &TestStack, key: &str, days: Value) -> colloquy_tests::Answer {
    let request = ApiCall::fixture("update-workspace").key(key).json(json!({"retentionDays": days}));
    call("update-workspace", &stack.app, request).await
}

async fn sweep(stack: &TestStack) -> Value {
    colloquy_functions::retention::handle(&stack.app, Deadline::NONE).await.expect("swept")
}

/// A conversation with a text of 40 days ago, a voice note of 35 days ago (its object in S3) and
/// a text of 2 days ago.
async fn history(stack: &TestStack, workspace: &WorkspaceId) -> (Conversation, String) {
    let now = stack.clock.now();
    let mut conversation = Conversation::start_api(workspace, "agent_1".into(), now - Duration::days(40));
    let wa_id = format!("49151{}", &colloquy_domain::model::ids::random_hex(4));
    let contact = Contact { phone_number: format!("+{wa_id}"), wa_id, name: None };
    conversation.channel = Channel::WhatsApp { phone_number_id: "106540352242922".into(), contact };
    let text = |days: i64, body: &str| {
        let mut m = Message::new(
            &conversation.id,
            Direction::Inbound,
            MessageKind::Text,
            DeliveryStatus::Received,
            now - Duration::days(days),
        );
        m.text = Some(body.into());
        m
    };
    let mut voice = text(35, "");
    voice.text = None;
    voice.kind = MessageKind::Audio;
    let key = format!("media/{workspace}/{}/{}", conversation.id, voice.id);
    let media = json!({"id": "meta-media-1", "voice": true, "status": "stored", "key": key});
    voice.media = serde_json::from_value::<MediaRef>(media).ok();
    stack.app.media.put(&key, b"OggS".to_vec(), "audio/ogg").await.expect("in S3");
    let messages = [text(40, "my old address is Hauptstr. 1"), voice, text(2, "still interested")];
    stack.store.save_conversation(&conversation, None, &messages).await.expect("stored");
    (conversation, key)
}

async fn texts(stack: &TestStack, conversation: &Conversation) -> Vec<Option<String>> {
    let page = stack.store.list_messages(&conversation.id, &Default::default()).await.expect("listed");
    page.items.into_iter().map(|m| m.text).collect()
}

#[tokio::test]
async fn messages_and_media_older_than_the_retention_are_deleted_once_a_day() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Acme").await;
    let other = stack.workspace("Globex").await;
    let (conversation, media_key) = history(&stack, &admin.key.workspace_id).await;
    let (theirs, their_media) = history(&stack, &other.key.workspace_id).await;

    let invalid = set_retention(&stack, &admin.plaintext, json!(0)).await;
    assert_eq!((invalid.status, invalid.error_code()), (400, "invalid_request"));
    assert!(invalid.body.to_string().contains("retentionDays"), "{}", invalid.body);
    let set = set_retention(&stack, &admin.plaintext, json!(30)).await;
    assert_eq!((set.status, &set.body["retentionDays"]), (200, &json!(30)), "{}", set.body);

    let swept = sweep(&stack).await;

    assert_eq!(swept, json!({"workspaces": 1, "messages": 2, "mediaObjects": 1}));
    assert_eq!(texts(&stack, &conversation).await, vec![Some("still interested".to_owned())]);
    assert!(stack.app.media.get(&media_key).await.is_err(), "the old voice note is gone from S3");
    let kept = stack.store.get_conversation(&admin.key.workspace_id, &conversation.id).await.expect("read");
    assert!(kept.is_some(), "the conversation stays");
    assert_eq!(texts(&stack, &theirs).await.len(), 3, "a workspace without retention keeps everything");
    assert!(stack.app.media.get(&their_media).await.is_ok());

    // Once a day: the next hour's run finds it swept; a day later it runs again.
    assert_eq!(sweep(&stack).await["workspaces"], json!(0));
    stack.clock.advance(Duration::days(1) + Duration::minutes(1));
    assert_eq!(sweep(&stack).await, json!({"workspaces": 1, "messages": 0, "mediaObjects": 0}));

    // Keeping messages again takes the workspace off the sweep.
    let cleared = set_retention(&stack, &admin.plaintext, Value::Null).await;
    assert_eq!(cleared.body["retentionDays"], Value::Null);
    stack.clock.advance(Duration::days(40));
    assert_eq!(sweep(&stack).await["workspaces"], json!(0));
    assert_eq!(texts(&stack, &conversation).await.len(), 1);
}
