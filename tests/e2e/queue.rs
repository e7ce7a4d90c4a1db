//! The trigger queue adapter against SQS FIFO on moto.

use colloquy_domain::ports::{EventTrigger, Trigger, Turn};
use colloquy_tests::TestStack;

async fn receive_all(stack: &TestStack) -> Vec<aws_sdk_sqs::types::Message> {
    let output = stack
        .sqs()
        .receive_message()
        .queue_url(&stack.resources.queue_url)
        .max_number_of_messages(10)
        .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
        .send()
        .await
        .expect("receive from moto");
    output.messages.unwrap_or_default()
}

#[tokio::test]
async fn a_trigger_is_queued_in_its_conversation_group_with_ids_only() {
    let stack = TestStack::new().await;
    let trigger = Trigger::InboundMessage(Turn {
        id: "wamid.HBgLMzE2MTIzNDU2NzgVAgASGBQzQUNC".into(),
        workspace_id: "ws_1".into(),
        conversation_id: "conv_1".into(),
    });

    stack.app.queue.enqueue(&trigger).await.expect("enqueue");

    let messages = receive_all(&stack).await;
    assert_eq!(messages.len(), 1);
    let attributes = messages[0].attributes.clone().unwrap_or_default();
    let group = attributes.get(&aws_sdk_sqs::types::MessageSystemAttributeName::MessageGroupId);
    assert_eq!(group.map(String::as_str), Some("conv_1"));
    let body: Trigger = serde_json::from_str(messages[0].body().unwrap_or_default()).expect("body is a trigger");
    assert_eq!(body, trigger);
}

#[tokio::test]
async fn the_same_trigger_twice_is_queued_once() {
    let stack = TestStack::new().await;
    let trigger = Trigger::InboundMessage(Turn {
        id: "wamid.duplicate".into(),
        workspace_id: "ws_1".into(),
        conversation_id: "conv_1".into(),
    });

    stack.app.queue.enqueue(&trigger).await.expect("first enqueue");
    stack.app.queue.enqueue(&trigger).await.expect("second enqueue is accepted and dropped");

    assert_eq!(receive_all(&stack).await.len(), 1);
}

#[tokio::test]
async fn an_event_delivery_is_queued_in_a_group_of_its_own() {
    let stack = TestStack::new().await;
    let trigger = Trigger::Event(EventTrigger { id: "evt_1".into(), workspace_id: "ws_1".into() });

    stack.app.queue.enqueue(&trigger).await.expect("enqueue");

    let messages = receive_all(&stack).await;
    let attributes = messages[0].attributes.clone().unwrap_or_default();
    let group = attributes.get(&aws_sdk_sqs::types::MessageSystemAttributeName::MessageGroupId);
    assert_eq!(group.map(String::as_str), Some("event_evt_1"), "never a conversation's group, nor another event's");
    let body: Trigger = serde_json::from_str(messages[0].body().unwrap_or_default()).expect("body is a trigger");
    assert_eq!(body, trigger);
}
