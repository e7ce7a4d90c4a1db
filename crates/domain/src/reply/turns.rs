//! Load → … → think: the history as the model reads it, in alternating turns.

use super::*;
use crate::model::MessageId;

/// The history as alternating turns: contact and operator on the user side, the agent's
/// replies and templates on the assistant side; the calls of one answer as one assistant turn
/// and their results as the user turn after it.
pub(super) fn turns(history: &[Message]) -> Vec<ChatTurn> {
    turns_seeing(history, &HashMap::new())
}

/// The contact's message as the agent reads it: its text, or what was read of its media.
fn inbound_text(message: &Message, shown_as_image: bool) -> String {
    match (MediaKind::of(&message.kind), &message.media) {
        (Some(kind), Some(media)) => media.for_the_agent(kind, shown_as_image),
        _ => message.text.clone().unwrap_or_default(),
    }
}

/// `turns`, with the images (by message id) a vision model is shown.
pub(super) fn turns_seeing(history: &[Message], images: &HashMap<MessageId, ImageInput>) -> Vec<ChatTurn> {
    let mut turns: Vec<ChatTurn> = Vec::new();
    let mut batch: Option<&str> = None;
    for message in history.iter().filter(|m| m.for_the_agent()) {
        if message.direction == Direction::Tool {
            if let Some(call) = message.tool_call.as_ref().filter(|call| call.status.is_settled()) {
                push_tool_call(&mut turns, call, batch == Some(call.batch.as_str()));
                batch = Some(call.batch.as_str());
            }
            continue;
        }
        batch = None;
        let (role, content) = match (message.direction, message.status) {
            (Direction::Tool, _) | (_, DeliveryStatus::Skipped) => continue,
            // The marker of a reply that could not be made: nothing was said.
            (Direction::Outbound, DeliveryStatus::Failed) if message.text.is_none() => continue,
            // Blocked by a policy: the agent never sees it.
            (Direction::Inbound, _) if message.error.is_some() => continue,
            (Direction::Inbound, _) => (ChatRole::User, inbound_text(message, images.contains_key(&message.id))),
            (Direction::Operator, _) => {
                (ChatRole::User, agent_text::operator_instruction(message.text.as_deref().unwrap_or_default()))
            }
            (Direction::Outbound, _) if message.kind == MessageKind::Template => {
                (ChatRole::Assistant, agent_text::template_sent(message.template.as_deref().unwrap_or_default()))
            }
            (Direction::Outbound, _) if message.operator_key.is_some() => {
                (ChatRole::Assistant, agent_text::written_by_a_person(message.text.as_deref().unwrap_or_default()))
            }
            (Direction::Outbound, _) => (ChatRole::Assistant, message.text.clone().unwrap_or_default()),
        };
        let image = images.get(&message.id).filter(|_| message.direction == Direction::Inbound);
        match turns.last_mut() {
            Some(last) if last.role == role && last.tool_calls.is_empty() => {
                if !last.content.is_empty() {
                    last.content.push('\n');
                }
                last.content.push_str(&content);
                last.images.extend(image.cloned());
            }
            _ => turns.push(ChatTurn { images: image.cloned().into_iter().collect(), ..ChatTurn::text(role, content) }),
        }
    }
    if turns.first().is_some_and(|t| t.role == ChatRole::Assistant) {
        turns.insert(0, ChatTurn::text(ChatRole::User, "(the conversation starts)"));
    }
    turns
}

/// A settled call: on the answer's assistant turn, its result on the user turn after it.
fn push_tool_call(turns: &mut Vec<ChatTurn>, call: &crate::tools::call::ToolCall, same_batch: bool) {
    let request =
        ToolCallRequest { id: call.call_id.clone(), name: call.tool.clone(), arguments: call.arguments.clone() };
    let (content, is_error) = call.outcome_for_model();
    let result = ToolResult { call_id: call.call_id.clone(), content, is_error };
    let len = turns.len();
    if same_batch && len >= 2 {
        turns[len - 2].tool_calls.push(request);
        turns[len - 1].tool_results.push(result);
        return;
    }
    match turns.last_mut() {
        Some(last) if last.role == ChatRole::Assistant && last.tool_calls.is_empty() => last.tool_calls.push(request),
        _ => turns.push(ChatTurn {
            role: ChatRole::Assistant,
            content: call.assistant_text.clone().unwrap_or_default(),
            tool_calls: vec![request],
            ..ChatTurn::default()
        }),
    }
    turns.push(ChatTurn { role: ChatRole::User, tool_results: vec![result], ..ChatTurn::default() });
}
