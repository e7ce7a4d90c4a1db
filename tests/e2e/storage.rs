//! How the table is read: what a reply's load costs, and that it stays within its tenant.

use colloquy_domain::model::{Conversation, DeliveryStatus, Direction, Message, MessageKind};
use colloquy_domain::ports::ConversationStore;
use colloquy_tests::TestStack;

use crate::console::Requests;

#[tokio::test]
async fn a_conversation_and_its_recent_history_are_one_read_and_stay_in_their_workspace() {
    let stack = TestStack::new().await;
    let owner = stack.workspace("Owner").await;
    let stranger = stack.workspace("Stranger").await;
    let now = time::OffsetDateTime::now_utc();
    let conversation = Conversation::start_api(&owner.key.workspace_id, "agent_1".into(), now);
    let messages: Vec<Message> = (0..5)
        .map(|n| {
            let at = now + time::Duration::milliseconds(n);
            let mut message =
                Message::new(&conversation.id, Direction::Inbound, MessageKind::Text, DeliveryStatus::Received, at);
            message.text = Some(format!("message {n}"));
            message
        })
        .collect();
    stack.store.save_conversation(&conversation, None, &messages).await.expect("stored");

    let requests = Requests::default();
    let config = aws_sdk_dynamodb::config::Builder::from(&stack.aws).interceptor(requests.clone()).build();
    let counted = colloquy_adapters::dynamo::DynamoStore::new(
        aws_sdk_dynamodb::Client::from_conf(config),
        &stack.resources.table_name,
    );
    let loaded = counted.load_conversation(&owner.key.workspace_id, &conversation.id, 3).await.expect("read");
    let (read, history) = loaded.expect("the owner's conversation");
    assert_eq!(read.id, conversation.id);
    let texts: Vec<_> = history.iter().filter_map(|m| m.text.as_deref()).collect();
    assert_eq!(texts, ["message 4", "message 3", "message 2"], "the newest three, newest first");
    assert_eq!(requests.0.lock().map(|seen| seen.clone()).unwrap_or_default(), ["Query"]);

    let elsewhere = counted.load_conversation(&stranger.key.workspace_id, &conversation.id, 3).await.expect("read");
    assert!(elsewhere.is_none(), "another workspace reads neither the conversation nor its messages");
    let missing = counted.load_conversation(&owner.key.workspace_id, &"conv_nothing".into(), 3).await.expect("read");
    assert!(missing.is_none());
}
