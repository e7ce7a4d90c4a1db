//! Tool calls as people see and decide them: a conversation's calls, approve and reject (each
//! once: a decided call is 409, and two approvals at once run it once), and the scheduler that
//! resumes runs whose undecided calls expired.

use crate::conversations::get_conversation;
use crate::events::emit_quietly;
use crate::events::model::ToolCallFailed;
use crate::model::values::OutOfRange;
use crate::model::{ConversationId, Direction, Message, MessageId, PageRequest, Principal, WorkspaceId};
use crate::ports::{
    ConversationStore, DueApproval, QueueError, StoreError, ToolCallStore, Trigger, TriggerQueue, Turn,
};
use crate::reply::ReplyPorts;
use crate::tools::call::{parse_public_id, ToolCallStatus, ToolCallView};
use crate::AppError;

/// The newest messages a conversation's call list reads.
pub const MAX_LISTED_MESSAGES: usize = 500;
pub const MAX_REASON_CHARS: usize = 1_000;

/// A conversation's tool calls, newest first.
pub async fn list(
    conversations: &dyn ConversationStore,
    principal: &Principal,
    conversation_id: &ConversationId,
) -> Result<Vec<Message>, AppError> {
    let conversation = get_conversation(conversations, principal, conversation_id).await?;
    let mut calls = Vec::new();
    let mut cursor = None;
    let mut read = 0;
    while read < MAX_LISTED_MESSAGES {
        let page = conversations.list_messages(&conversation.id, &PageRequest { limit: 100, cursor }).await?;
        read += page.items.len();
        calls.extend(page.items.into_iter().filter(|m| m.direction == Direction::Tool && m.tool_call.is_some()));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    Ok(calls)
}

/// How many waiting calls a person is shown at once.
pub const MAX_AWAITING: u32 = 100;

/// How many of the conversation's last turns a waiting call is shown with.
pub const TURNS_SHOWN: u32 = 4;

/// A call waiting for a person's decision, in its conversation, with its last turns (oldest
/// first) so that the person sees what led to it.
pub struct Awaiting {
    pub conversation: crate::model::Conversation,
    pub message: Message,
    pub last_turns: Vec<Message>,
}

/// The workspace's calls waiting for a person, soonest to expire first; a call decided since its
/// watch was read is left out.
pub async fn awaiting(
    conversations: &dyn ConversationStore,
    calls: &dyn ToolCallStore,
    principal: &Principal,
) -> Result<Vec<Awaiting>, AppError> {
    let watches = calls.awaiting_approval(&principal.workspace_id, MAX_AWAITING).await?;
    let mut awaiting = Vec::with_capacity(watches.len());
    for watch in watches {
        let Some(message) = conversations.get_message(&watch.conversation_id, &watch.message_id).await? else {
            continue;
        };
        if message.tool_call.as_ref().is_none_or(|call| call.status != ToolCallStatus::PendingApproval) {
            continue;
        }
        let Some(conversation) =
            conversations.get_conversation(&principal.workspace_id, &watch.conversation_id).await?
        else {
            continue;
        };
        let recent =
            conversations.list_messages(&conversation.id, &PageRequest { limit: TURNS_SHOWN * 2, cursor: None });
        let mut last_turns: Vec<Message> = recent
            .await?
            .items
            .into_iter()
            .filter(|m| matches!(m.direction, Direction::Inbound | Direction::Outbound) && m.text.is_some())
            .take(TURNS_SHOWN as usize)
            .collect();
        last_turns.reverse();
        awaiting.push(Awaiting { conversation, message, last_turns });
    }
    Ok(awaiting)
}

/// The conversations with a call waiting for a person (one read of the watches).
pub async fn conversations_awaiting(
    calls: &dyn ToolCallStore,
    principal: &Principal,
) -> Result<std::collections::HashSet<ConversationId>, AppError> {
    let watches = calls.awaiting_approval(&principal.workspace_id, MAX_AWAITING).await?;
    Ok(watches.into_iter().map(|watch| watch.conversation_id).collect())
}

fn not_found(id: &str) -> AppError {
    AppError::not_found(&format!("tool call `{id}`"))
}

pub enum Decision {
    Approve,
    /// With the reason the model is told, if any.
    Reject(Option<String>),
}

impl Decision {
    /// A rejection: the reason trimmed (empty is none), at most `MAX_REASON_CHARS`.
    pub fn reject(reason: Option<&str>) -> Result<Self, OutOfRange> {
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if reason.is_some_and(|r| r.chars().count() > MAX_REASON_CHARS) {
            return Err(OutOfRange::new(format!("must be at most {MAX_REASON_CHARS} characters")));
        }
        Ok(Self::Reject(reason.map(str::to_owned)))
    }
}

/// Approves or rejects a call awaiting approval, and queues the run's resumption on the
/// conversation's FIFO group.
pub async fn decide(
    ports: &ReplyPorts<'_>,
    queue: &dyn TriggerQueue,
    principal: &Principal,
    id: &str,
    decision: Decision,
) -> Result<Message, AppError> {
    let decided = record_decision(ports, principal, id, decision).await?;
    let conversation = &decided.conversation;
    resume(queue, &conversation.workspace_id, &conversation.id, &decided.message.id).await?;
    if let Some(expired_at) = decided.expired_at {
        return Err(AppError::Conflict(format!(
            "the tool call expired at {} without a decision; it did not run",
            crate::model::timestamp::format(expired_at)
        )));
    }
    tracing::info!(conversation = %conversation.id, call = %decided.message.id, by = %principal.key_prefix, "tool call decided");
    Ok(decided.message)
}

/// A decision as stored: the call, and when it had expired if it had (then it never runs).
pub struct Decided {
    pub conversation: crate::model::Conversation,
    pub message: Message,
    pub expired_at: Option<time::OffsetDateTime>,
}

/// Stores the decision (who made it, and the reason of a rejection) without resuming the run:
/// `decide` queues the resumption, a test run answers on at once.
pub async fn record_decision(
    ports: &ReplyPorts<'_>,
    principal: &Principal,
    id: &str,
    decision: Decision,
) -> Result<Decided, AppError> {
    let (conversation_id, message_id) = parse_public_id(id).ok_or_else(|| not_found(id))?;
    let conversation = match get_conversation(ports.conversations, principal, &conversation_id).await {
        Err(AppError::NotFound(_)) => return Err(not_found(id)),
        other => other?,
    };
    let message = ports.conversations.get_message(&conversation.id, &message_id).await?.ok_or_else(|| not_found(id))?;
    let Some(call) = message.tool_call.clone() else { return Err(not_found(id)) };
    if call.status != ToolCallStatus::PendingApproval {
        return Err(AppError::Conflict(format!("the tool call is already {}", call.status.as_str())));
    }
    if let Some(expired_at) = call.expired_by(ports.clock.now()) {
        // Expired, whether or not the scheduler got to it yet: it never runs, and the run goes on.
        let mut expired = call;
        expired.status = ToolCallStatus::Expired;
        crate::reply::settle(ports, &conversation, &message, expired, ToolCallStatus::PendingApproval)
            .await
            .map_err(|err| AppError::Internal(err.to_string()))?;
        return Ok(Decided { conversation, message, expired_at: Some(expired_at) });
    }
    let mut decided = call;
    decided.decided_by = Some(principal.key_prefix.clone());
    match decision {
        Decision::Approve => decided.status = ToolCallStatus::Approved,
        Decision::Reject(reason) => {
            decided.status = ToolCallStatus::Rejected;
            decided.reason = reason;
        }
    }
    let mut updated = message.clone();
    updated.tool_call = Some(decided);
    match ports.tool_calls.update_tool_call(&updated, ToolCallStatus::PendingApproval).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            return Err(AppError::Conflict("the tool call was decided by someone else just now".into()))
        }
        Err(err) => return Err(err.into()),
    }
    ports.tool_calls.end_approval_watch(&conversation.workspace_id, &conversation.id, &message.id).await?;
    if let Some(call) = updated.tool_call.as_ref().filter(|c| c.status == ToolCallStatus::Rejected) {
        let event = ToolCallFailed { tool_call: ToolCallView::new(&updated, call) };
        emit_quietly(&ports.events, &conversation.workspace_id, &conversation.id, &event).await;
    }
    Ok(Decided { conversation, message: updated, expired_at: None })
}

/// Queues the run's resumption: the worker takes the decided call from there.
async fn resume(
    queue: &dyn TriggerQueue,
    workspace_id: &WorkspaceId,
    conversation_id: &ConversationId,
    message_id: &MessageId,
) -> Result<(), QueueError> {
    let trigger = Trigger::ToolDecision(Turn {
        id: format!("tool-decision.{message_id}"),
        workspace_id: workspace_id.to_owned(),
        conversation_id: conversation_id.to_owned(),
    });
    queue.enqueue(&trigger).await
}

/// The scheduler found a call whose approval ran out (and leased its watch): resume the run.
pub async fn resume_expired(queue: &dyn TriggerQueue, due: &DueApproval) -> Result<(), QueueError> {
    resume(queue, &due.workspace_id, &due.conversation_id, &due.message_id).await
}
