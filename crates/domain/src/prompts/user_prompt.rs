//! Flashback's prompt: a user turn in a conversation (WhatsApp or API-only), queued for the
//! worker; with `waitSeconds`, the reply is awaited and returned with its token counts.

use std::time::Duration;

use crate::conversations::{add_turn, get_conversation, ConversationPorts, NewTurn};
use crate::model::{ConversationId, DeliveryStatus, Direction, Message, MessageKind, PageRequest, Principal};
use crate::policies::model::Flow;
use crate::policies::{evaluate, PolicyPorts};
use crate::ports::{ConversationStore, Trigger, UsageStore};
use crate::AppError;

pub const MAX_PROMPT_CHARS: usize = 16_000;
pub const MAX_WAIT_SECONDS: u32 = 25;
const POLL_EVERY: Duration = Duration::from_millis(200);

/// A user's turn, parsed: the text (at most `MAX_PROMPT_CHARS`), and how long to wait for the
/// reply (at most `MAX_WAIT_SECONDS`; 0 returns at once).
#[derive(Debug)]
pub struct UserPrompt {
    pub prompt: String,
    pub wait_seconds: u32,
}

pub struct Sent {
    pub prompt: Message,
    /// The agent's reply, when it came within `waitSeconds`.
    pub reply: Option<Message>,
    /// A tool call the run paused on for a person's approval, when that came first: waiting
    /// longer would not bring the reply.
    pub pending_call: Option<Message>,
}

/// What waiting for the agent found.
enum Awaited {
    Reply(Message),
    /// The run paused on a call that needs approval.
    Paused(Message),
    Nothing,
}

pub async fn send_prompt(
    ports: &ConversationPorts<'_>,
    policies: &PolicyPorts<'_>,
    usage: &dyn UsageStore,
    principal: &Principal,
    conversation_id: &ConversationId,
    input: UserPrompt,
) -> Result<Sent, AppError> {
    let UserPrompt { prompt: text, wait_seconds: wait } = input;
    let conversation = get_conversation(ports.conversations, principal, conversation_id).await?;
    if let Some(workspace) = ports.events.workspaces.get_workspace(&conversation.workspace_id).await? {
        crate::usage::quota::check(usage, ports.clock.now(), &workspace).await?;
    }
    let verdict = evaluate(policies, &conversation.workspace_id, &conversation.id, Flow::Input, &text).await?;
    if let Some(policy) = verdict.blocked_by {
        return Err(AppError::bad_request(format!(
            "the prompt was blocked by the policy `{policy}`; nothing was sent"
        )));
    }
    let turn = NewTurn {
        direction: Direction::Inbound,
        kind: MessageKind::Prompt,
        text: &text,
        previewed: true,
        closed_window: "the conversation is not active: its WhatsApp contact has not written in the last 24 hours, so no reply could be sent",
        trigger: Trigger::UserPrompt,
    };
    let prompt = add_turn(ports, principal, conversation_id, turn).await?;
    let awaited = if wait > 0 {
        await_reply(ports.conversations, &prompt, Duration::from_secs(u64::from(wait))).await?
    } else {
        Awaited::Nothing
    };
    let (reply, pending_call) = match awaited {
        Awaited::Reply(reply) => (Some(reply), None),
        Awaited::Paused(call) => (None, Some(call)),
        Awaited::Nothing => (None, None),
    };
    Ok(Sent { prompt, reply, pending_call })
}

/// The first finished reply after the prompt (ids are time-ordered), a call the run paused on
/// for approval, or nothing within `wait`.
async fn await_reply(
    conversations: &dyn ConversationStore,
    prompt: &Message,
    wait: Duration,
) -> Result<Awaited, AppError> {
    let deadline = tokio::time::Instant::now() + wait;
    let recent = PageRequest { limit: 10, cursor: None };
    loop {
        let messages = conversations.list_messages(&prompt.conversation_id, &recent).await?.items;
        let mut after: Vec<Message> = messages.into_iter().filter(|m| m.id > prompt.id).collect();
        after.sort_by(|a, b| a.id.cmp(&b.id));
        let reply = after.iter().find(|m| m.direction == Direction::Outbound && m.kind == MessageKind::Text);
        if let Some(reply) = reply.filter(|r| r.status != DeliveryStatus::Pending) {
            return Ok(Awaited::Reply(reply.clone()));
        }
        let paused = after.iter().find(|m| {
            m.tool_call.as_ref().is_some_and(|call| call.status == crate::tools::call::ToolCallStatus::PendingApproval)
        });
        if let Some(call) = paused.filter(|_| reply.is_none()) {
            return Ok(Awaited::Paused(call.clone()));
        }
        if tokio::time::Instant::now() + POLL_EVERY > deadline {
            return Ok(Awaited::Nothing);
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}
