//! A scenario's conversation as people and models read it: the lines of its result, what the
//! simulated contact is shown, and the text the judge scores.

use super::judge::Said;
use super::run::{TranscriptLine, TranscriptToolCall};
use crate::model::{DeliveryStatus, Direction, Message, MessageKind};

/// A line of the transcript is cut at this, and a result keeps at most `MAX_LINES`: a stored
/// result stays well under DynamoDB's 400 KB an item, whatever the characters.
const MAX_LINE_CHARS: usize = 1_000;
/// A result keeps at most this many lines (a stored result stays well under an item's size).
pub const MAX_LINES: usize = 60;

/// The contact's messages and the agent's replies, in order.
pub fn said(messages: &[Message]) -> Vec<Said> {
    messages
        .iter()
        .filter_map(|message| match (message.direction, &message.text) {
            (Direction::Inbound, Some(text)) => Some((true, text.clone())),
            (Direction::Outbound, Some(text)) if is_reply(message) => Some((false, text.clone())),
            _ => None,
        })
        .collect()
}

fn is_reply(message: &Message) -> bool {
    message.direction == Direction::Outbound && message.kind == MessageKind::Text && message.tool_call.is_none()
}

fn cut(text: &str) -> String {
    text.chars().take(MAX_LINE_CHARS).collect()
}

/// The lines of a result: the contact's messages (and a policy's block of one), the agent's
/// replies, and its tool calls with how they ended.
pub fn lines(messages: &[Message]) -> Vec<TranscriptLine> {
    let mut lines = Vec::new();
    for message in messages {
        let line = match (message.direction, &message.tool_call) {
            (Direction::Tool, Some(call)) => TranscriptLine {
                role: "tool".into(),
                text: cut(call.result.as_deref().or(call.error.as_deref()).unwrap_or_default()),
                tool_call: Some(TranscriptToolCall {
                    name: call.tool.clone(),
                    arguments: serde_json::from_str(&call.arguments).unwrap_or_default(),
                    status: call.status.as_str().to_owned(),
                    decided_by: call.decided_by.clone(),
                }),
            },
            (Direction::Inbound, _) => {
                let blocked = message.error.as_ref().map(|error| format!(" ({})", error.message)).unwrap_or_default();
                let text = format!("{}{blocked}", message.text.as_deref().unwrap_or_default());
                TranscriptLine { role: "contact".into(), text: cut(&text), tool_call: None }
            }
            (Direction::Outbound, _) if is_reply(message) && message.text.is_some() => TranscriptLine {
                role: "agent".into(),
                text: cut(message.text.as_deref().unwrap_or_default()),
                tool_call: None,
            },
            (Direction::Outbound, _) if message.status == DeliveryStatus::Failed => TranscriptLine {
                role: "agent".into(),
                text: cut(&format!(
                    "(no reply: {})",
                    message.error.as_ref().map_or("it failed", |error| error.message.as_str())
                )),
                tool_call: None,
            },
            _ => continue,
        };
        lines.push(line);
    }
    // The newest lines are kept.
    let cut_off = lines.len().saturating_sub(MAX_LINES);
    lines.drain(..cut_off);
    lines
}

/// The transcript as the judge reads it, a line a message.
pub fn for_the_judge(messages: &[Message]) -> String {
    let mut text = String::new();
    for line in lines(messages) {
        let written = match &line.tool_call {
            Some(call) => {
                format!("Agent called the tool {} with {} ({}): {}", call.name, call.arguments, call.status, line.text)
            }
            None if line.role == "contact" => format!("Contact: {}", line.text),
            None => format!("Agent: {}", line.text),
        };
        text.push_str(&written);
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ConversationId;
    use time::OffsetDateTime;

    fn message(direction: Direction, text: &str) -> Message {
        let conversation: ConversationId = "c".into();
        let status = if direction == Direction::Inbound { DeliveryStatus::Received } else { DeliveryStatus::Sent };
        let mut message = Message::new(&conversation, direction, MessageKind::Text, status, OffsetDateTime::UNIX_EPOCH);
        message.text = Some(text.into());
        message
    }

    #[test]
    fn tool_calls_blocked_messages_and_replies_not_made_are_shown_for_what_they_are() {
        let mut blocked = message(Direction::Inbound, "You idiot");
        blocked.error = Some(crate::model::MessageError::blocked_by("no-insults"));
        let mut call = message(Direction::Tool, "");
        call.text = None;
        call.tool_call = serde_json::from_value(serde_json::json!({
            "callId": "c1", "batch": "m1", "tool": "book_viewing", "arguments": "{\"day\":\"Saturday\"}",
            "status": "succeeded", "result": "booked", "decidedBy": "test run r1"
        }))
        .ok();
        let mut not_made = message(Direction::Outbound, "");
        (not_made.text, not_made.status) = (None, DeliveryStatus::Failed);
        not_made.error = Some(crate::model::MessageError::failed("the LLM refused the request"));
        let mut template = message(Direction::Outbound, "welcome_v2");
        template.kind = MessageKind::Template;
        let messages = vec![blocked, call, message(Direction::Outbound, "Booked."), not_made, template];

        let lines = lines(&messages);
        let said = said(&messages);

        let shown: Vec<(&str, &str)> = lines.iter().map(|l| (l.role.as_str(), l.text.as_str())).collect();
        assert_eq!(
            shown,
            [
                ("contact", "You idiot (blocked by the policy `no-insults`: not answered)"),
                ("tool", "booked"),
                ("agent", "Booked."),
                ("agent", "(no reply: the LLM refused the request)"),
            ]
        );
        let tool = lines[1].tool_call.clone().map(|t| (t.name, t.arguments["day"].clone(), t.status, t.decided_by));
        let expected = ("book_viewing".to_owned(), serde_json::json!("Saturday"), "succeeded".to_owned());
        assert_eq!(tool, Some((expected.0, expected.1, expected.2, Some("test run r1".to_owned()))));
        assert_eq!(said, [(true, "You idiot".to_owned()), (false, "Booked.".to_owned())], "a template is no reply");
        assert!(for_the_judge(&messages)
            .contains("Agent called the tool book_viewing with {\"day\":\"Saturday\"} (succeeded): booked"));
    }

    #[test]
    fn the_transcript_keeps_who_said_what_in_order_and_the_newest_lines() {
        let messages = vec![
            message(Direction::Inbound, "Hi"),
            message(Direction::Outbound, "Hello!"),
            message(Direction::Inbound, "Saturday?"),
        ];

        let lines = lines(&messages);
        let said = said(&messages);
        let judged = for_the_judge(&messages);

        let roles: Vec<&str> = lines.iter().map(|line| line.role.as_str()).collect();
        assert_eq!(roles, ["contact", "agent", "contact"]);
        assert_eq!(said, [(true, "Hi".to_owned()), (false, "Hello!".to_owned()), (true, "Saturday?".to_owned())]);
        assert_eq!(judged, "Contact: Hi\nAgent: Hello!\nContact: Saturday?\n");
        let many: Vec<Message> = (0..MAX_LINES + 5).map(|n| message(Direction::Inbound, &n.to_string())).collect();
        let kept = super::lines(&many);
        assert_eq!((kept.len(), kept[0].text.as_str()), (MAX_LINES, "5"), "the newest lines are kept");
    }
}
