//! Follow-ups: re-checked at send time; the LLM inside the 24-hour window, a template outside it.

use super::*;
use crate::agents::model::FollowUpPolicy;

pub(super) enum FollowUpOutcome {
    Done,
    /// The conversation moved under us: read it again.
    Conflict,
}

/// A follow-up, re-checked at send time: still due, this attempt, the contact has not written,
/// no takeover. Inside the window the LLM writes it; outside, the agent's template is sent.
pub(super) async fn follow_up(
    ports: &ReplyPorts<'_>,
    cache: &AgentCache,
    attempt: u32,
    conversation: &Conversation,
    history: &[Message],
    deadline: Deadline,
) -> Result<FollowUpOutcome, RetryLater> {
    let now = ports.clock.now();
    let still_due = conversation.follow_up_due_at.is_some() && conversation.follow_ups_sent + 1 == attempt;
    let contact_wrote_last = history.last().is_some_and(|m| m.direction == Direction::Inbound);
    if !still_due || contact_wrote_last {
        tracing::info!(conversation = %conversation.id, attempt, "follow-up no longer due");
        return Ok(FollowUpOutcome::Done);
    }
    let agent = cache.agent(ports, &conversation.workspace_id, &conversation.agent_id).await?;
    let Some(policy) = agent.as_ref().and_then(|a| a.follow_up.clone()) else {
        return stop_follow_ups(ports, conversation, "the agent has no follow-up policy").await;
    };
    if conversation.is_human_takeover(now) {
        return stop_follow_ups(ports, conversation, "a human has taken over this conversation").await;
    }
    let Some(agent) = agent else { return Ok(FollowUpOutcome::Done) };
    let mut updated = conversation.revised(now);
    updated.follow_ups_sent = attempt;
    updated.follow_up_due_at =
        (attempt < policy.max_attempts).then(|| now + time::Duration::minutes(i64::from(policy.after_minutes)));

    if conversation.is_window_open(now) {
        let nudge = Nudge { attempt, policy: &policy, history };
        written(ports, cache, conversation, &agent, nudge, updated, deadline).await
    } else {
        templated(ports, conversation, &policy, updated).await
    }
}

/// What the agent is asked to follow up on: its history and which attempt of how many.
struct Nudge<'a> {
    attempt: u32,
    policy: &'a FollowUpPolicy,
    history: &'a [Message],
}

/// Inside the 24-hour window: the agent writes the follow-up, stored before it is sent.
async fn written(
    ports: &ReplyPorts<'_>,
    cache: &AgentCache,
    conversation: &Conversation,
    agent: &Agent,
    nudge: Nudge<'_>,
    mut updated: Conversation,
    deadline: Deadline,
) -> Result<FollowUpOutcome, RetryLater> {
    let Some(prompt) = cache.system_prompt(ports, agent, conversation).await? else {
        return stop_follow_ups(ports, conversation, "the agent's prompt version no longer exists").await;
    };
    let mut turns = turns(nudge.history);
    let policy = nudge.policy;
    let text = crate::agents::text::follow_up_nudge(
        nudge.attempt,
        policy.max_attempts,
        policy.after_minutes,
        &policy.instruction,
    );
    match turns.last_mut() {
        Some(last) if last.role == ChatRole::User => last.content = format!("{}\n{text}", last.content),
        _ => turns.push(ChatTurn::text(ChatRole::User, text)),
    }
    let request = ChatRequest::for_agent(agent, prompt.content.text.clone(), prompt.content.temperature, turns);
    let answer = complete(ports, &conversation.workspace_id, &request, deadline).await.map_err(RetryLater::Llm)?;
    let answer = checked_output(ports, conversation, agent, answer).await?;
    // `updated` was revised at the time of this follow-up.
    let now = updated.updated_at;
    let mut message =
        Message::new(&conversation.id, Direction::Outbound, MessageKind::Text, DeliveryStatus::Pending, now);
    message.text = Some(as_shown(conversation, &answer.text));
    message.usage = Some(TokenUsage::of(&answer));
    updated.last_message = message.text.as_deref().map(preview);
    let usage = usage_of(conversation, &agent.id, &answer, now);
    updated.spent(&usage.tokens);
    match ports.conversations.save_reply(&updated, conversation.revision, &message, &usage).await {
        Ok(()) => deliver(ports, &updated, message).await.map(|()| FollowUpOutcome::Done),
        Err(StoreError::Conflict(_)) => Ok(FollowUpOutcome::Conflict),
        Err(err) => Err(err.into()),
    }
}

/// Outside the window: the agent's approved template, sent first, then recorded (a refusal for
/// good is recorded `failed`).
async fn templated(
    ports: &ReplyPorts<'_>,
    conversation: &Conversation,
    policy: &FollowUpPolicy,
    mut updated: Conversation,
) -> Result<FollowUpOutcome, RetryLater> {
    let Some(template) = policy.template.clone() else {
        return stop_follow_ups(
            ports,
            conversation,
            "the 24-hour window is closed and the agent has no follow-up template",
        )
        .await;
    };
    let Some((_, contact)) = conversation.party() else { return Ok(FollowUpOutcome::Done) };
    let outbound = Outbound::Template { to: contact.wa_id.clone(), template: template.clone() };
    // `updated` was revised at the time of this follow-up.
    let now = updated.updated_at;
    let mut message =
        Message::new(&conversation.id, Direction::Outbound, MessageKind::Template, DeliveryStatus::Sent, now);
    message.template = Some(template.name.clone());
    let from = match sender_of(&ports.senders, conversation).await {
        Ok(from) => from,
        Err(SenderError::Refused(why)) => return stop_follow_ups(ports, conversation, &why).await,
        Err(SenderError::Unavailable(why)) => return Err(RetryLater::Busy(why)),
    };
    match send_with_retry(ports.whatsapp, &from, &outbound, SEND_ATTEMPTS).await {
        Ok(wamid) => {
            message.wamid = Some(wamid.clone());
            message.sent_parts = vec![wamid];
        }
        Err(err) if err.is_retryable() => return Err(RetryLater::WhatsApp(err)),
        Err(err) => {
            message.status = DeliveryStatus::Failed;
            message.error = Some(MessageError::whatsapp(err.code().unwrap_or(0), err.to_string()));
        }
    }
    updated.last_message = Some(preview(&format!("[template] {}", template.name)));
    match ports
        .conversations
        .save_conversation(&updated, Some(conversation.revision), std::slice::from_ref(&message))
        .await
    {
        Ok(()) | Err(StoreError::Conflict(_)) => {}
        Err(err) => return Err(err.into()),
    }
    ports.conversations.record_delivery(&conversation.workspace_id, &message).await?;
    Ok(FollowUpOutcome::Done)
}

/// No more follow-ups for now, and a `skipped` message that says why.
pub(super) async fn stop_follow_ups(
    ports: &ReplyPorts<'_>,
    conversation: &Conversation,
    why: &str,
) -> Result<FollowUpOutcome, RetryLater> {
    let mut stopped = conversation.clone();
    stopped.follow_up_due_at = None;
    skip(ports, &stopped, "follow_ups_stopped", why).await.map(|()| FollowUpOutcome::Done)
}
