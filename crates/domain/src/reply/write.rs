//! Write: the reply and the conversation's new state (its preview, tokens, the next follow-up and
//! analysis) in one write, conditional on the revision the run read: a takeover or a new message
//! while the model wrote makes it fail, and the next round sees why.

use super::*;
use crate::model::AgentId;

pub(super) enum Written {
    /// Stored: deliver it (boxed: the two are large beside `Lost`).
    Saved(Box<(Conversation, Message)>),
    /// Another change came first; the draft is kept for the next round.
    Lost,
}

pub(super) async fn write(
    ports: &ReplyPorts<'_>,
    loaded: &Loaded,
    agent: &Agent,
    answer: ChatReply,
    prompt_used: Option<PromptUsed>,
    run: &mut Run,
) -> Result<Written, RetryLater> {
    let conversation = &loaded.conversation;
    let mut message = Message::new(
        &conversation.id,
        Direction::Outbound,
        MessageKind::Text,
        DeliveryStatus::Pending,
        ports.clock.now(),
    );
    message.text = Some(as_shown(conversation, &answer.text));
    message.prompt_used = prompt_used;
    message.usage = Some(TokenUsage::of(&answer));
    message.knowledge_used = knowledge::used(loaded.unanswered(), run);
    let discarded = run.discarded;
    let mut updated = conversation.revised(message.created_at);
    // A reply is being made: an earlier failure no longer stands (a failed delivery marks it again).
    updated.reply_failed_at = None;
    if updated.prompt_arm.is_none() {
        updated.prompt_arm = run.arm.clone();
    }
    updated.last_message = message.text.as_deref().map(preview);
    let mut usage = usage_of(conversation, &agent.id, &answer, message.created_at);
    usage.tokens.add(discarded);
    updated.spent(&usage.tokens);
    // A test conversation ends with its scenario: no follow-up, no analysis.
    let live = !conversation.channel.is_test();
    updated.follow_up_due_at = agent
        .follow_up
        .as_ref()
        .filter(|_| live)
        .map(|policy| message.created_at + time::Duration::minutes(i64::from(policy.after_minutes)));
    if let Some(minutes) = agent.analysis.as_ref().and_then(|analysis| analysis.after_minutes).filter(|_| live) {
        updated.analysis_due_at = Some(message.created_at + time::Duration::minutes(i64::from(minutes)));
    }
    match ports.conversations.save_reply(&updated, conversation.revision, &message, &usage).await {
        Ok(()) => Ok(Written::Saved(Box::new((updated, message)))),
        Err(StoreError::Conflict(_)) => {
            run.draft = Some((answer, loaded.newest(), prompt_used));
            Ok(Written::Lost)
        }
        Err(err) => Err(err.into()),
    }
}

pub(super) fn usage_of(
    conversation: &Conversation,
    agent_id: &AgentId,
    answer: &ChatReply,
    at: time::OffsetDateTime,
) -> UsageDelta {
    UsageDelta {
        workspace_id: conversation.workspace_id.clone(),
        agent_id: agent_id.to_owned(),
        day: day_of(at),
        tokens: tokens_of(conversation, answer),
    }
}

/// One call's tokens, as live traffic or, in a test conversation, apart.
pub(super) fn tokens_of(conversation: &Conversation, answer: &ChatReply) -> Tokens {
    if conversation.channel.is_test() {
        Tokens::test(answer)
    } else {
        Tokens::of(answer)
    }
}
