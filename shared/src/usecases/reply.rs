//! The agent loop's worker side: answer every unanswered message of a conversation in one LLM
//! call, store the reply before sending it, and check takeover and the 24-hour window at send time.

use std::time::Duration;

use crate::model::cache::TtlCache;
use crate::model::conversation::preview;
use crate::model::deadline::Deadline;
use crate::model::event::EventType;
use crate::model::policy::Flow;
use crate::model::usage::{day_of, Tokens, UsageDelta};
use crate::model::Channel;
use crate::model::{
    Agent, Conversation, DeliveryStatus, Direction, Message, MessageError, PageRequest, PromptVersion, TokenUsage,
};
use crate::ports::{ChatReply, ChatRequest, ChatRole, ChatTurn, LlmError, Outbound, StoreError, Trigger, TriggerKind};
use crate::usecases::events::emit_quietly;
use crate::usecases::messaging::send_with_retry;
use crate::usecases::senders::{sender, SenderError};
use crate::usecases::policies::evaluate;
use crate::usecases::optimistic::Retries;
use crate::App;

/// How many recent messages the agent sees.
pub const HISTORY: u32 = 30;
/// WhatsApp's limit for one text message.
pub const MAX_TEXT_CHARS: usize = 4096;
const LLM_ATTEMPTS: u32 = 3;
const SEND_ATTEMPTS: u32 = 3;
const AGENT_CACHE_TTL: Duration = Duration::from_secs(60);

/// Why a trigger must be retried (the queue redelivers it; after five receives it is dead-lettered).
#[derive(Debug, thiserror::Error)]
pub enum RetryLater {
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("LLM: {0}")]
    Llm(LlmError),
    #[error("WhatsApp: {0}")]
    WhatsApp(crate::ports::GraphError),
    #[error("{0}")]
    Busy(String),
}

/// Agents and prompt versions, cached per container: versions never change; agents and a
/// prompt's latest version are re-read after a minute, so a change reaches replies within it.
#[derive(Default)]
pub struct AgentCache {
    agents: TtlCache<String, Agent>,
    /// A prompt's latest version number, for agents that follow the latest.
    latest: TtlCache<String, u32>,
    versions: TtlCache<(String, u32), PromptVersion>,
}

/// Versions never change: kept as long as the container lives.
const FOREVER: Duration = Duration::MAX;

impl AgentCache {
    async fn agent(&self, app: &App, workspace_id: &str, agent_id: &str) -> Result<Option<Agent>, StoreError> {
        let load = app.store.get_agent(workspace_id, agent_id);
        self.agents.get_or_load(agent_id.to_owned(), AGENT_CACHE_TTL, load).await
    }

    async fn system_prompt(&self, app: &App, agent: &Agent) -> Result<Option<PromptVersion>, StoreError> {
        let number = match agent.prompt_version {
            Some(number) => number,
            None => {
                let load = async {
                    let prompt = app.store.get_prompt(&agent.workspace_id, &agent.prompt_id).await?;
                    Ok::<_, StoreError>(prompt.map(|prompt| prompt.latest_version))
                };
                match self.latest.get_or_load(agent.prompt_id.clone(), AGENT_CACHE_TTL, load).await? {
                    Some(number) => number,
                    None => return Ok(None),
                }
            }
        };
        let load = app.store.get_prompt_version(&agent.prompt_id, number);
        self.versions.get_or_load((agent.prompt_id.clone(), number), FOREVER, load).await
    }
}

fn is_reply(message: &Message) -> bool {
    message.direction == Direction::Outbound && message.kind == "text"
}

/// Splits at paragraph or word boundaries so that every part fits in one WhatsApp message.
pub fn split_text(text: &str, max_chars: usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = text.trim();
    while rest.chars().count() > max_chars {
        let limit = rest.char_indices().nth(max_chars).map(|(i, _)| i).unwrap_or(rest.len());
        let head = &rest[..limit];
        let cut = head
            .rfind("\n\n")
            .or_else(|| head.rfind('\n'))
            .or_else(|| head.rfind(' '))
            .filter(|&i| i > 0)
            .unwrap_or(limit);
        parts.push(rest[..cut].trim_end().to_owned());
        rest = rest[cut..].trim_start();
    }
    if !rest.is_empty() {
        parts.push(rest.to_owned());
    }
    parts
}

/// The history as alternating turns: contact and operator on the user side, the agent's
/// replies and templates on the assistant side.
fn turns(history: &[Message]) -> Vec<ChatTurn> {
    let mut turns: Vec<ChatTurn> = Vec::new();
    for message in history {
        let (role, content) = match (message.direction, message.status) {
            (_, DeliveryStatus::Skipped) => continue,
            // Blocked by a policy: the agent never sees it.
            (Direction::Inbound, _) if message.error.is_some() => continue,
            (Direction::Inbound, _) => (ChatRole::User, message.text.clone().unwrap_or_default()),
            (Direction::Operator, _) => (
                ChatRole::User,
                format!("[Instruction from the business, not from the contact: follow it in your next message; do not quote it] {}", message.text.clone().unwrap_or_default()),
            ),
            (Direction::Outbound, _) if message.kind == "template" => {
                (ChatRole::Assistant, format!("[template sent: {}]", message.template.clone().unwrap_or_default()))
            }
            (Direction::Outbound, _) => (ChatRole::Assistant, message.text.clone().unwrap_or_default()),
        };
        match turns.last_mut() {
            Some(last) if last.role == role => {
                last.content.push('\n');
                last.content.push_str(&content);
            }
            _ => turns.push(ChatTurn { role, content }),
        }
    }
    if turns.first().is_some_and(|t| t.role == ChatRole::Assistant) {
        turns.insert(0, ChatTurn { role: ChatRole::User, content: "(the conversation starts)".into() });
    }
    turns
}

async fn complete(app: &App, request: &ChatRequest, deadline: Deadline) -> Result<ChatReply, LlmError> {
    let mut delay = Duration::from_millis(500);
    let mut attempt = 1;
    loop {
        match app.llm.complete(request).await {
            // A time-out already used most of the invocation, and a retry must fit before the
            // invocation's end: otherwise the queue retries it, later.
            Err(err)
                if err.is_retryable()
                    && err != LlmError::Timeout
                    && attempt < LLM_ATTEMPTS
                    && deadline.leaves(delay + crate::app::LLM_TIMEOUT) =>
            {
                tracing::warn!(error = %err, attempt, "LLM call failed; retrying");
                tokio::time::sleep(delay).await;
                delay *= 2;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Handles one trigger. `Ok` also when there was nothing to do (a duplicate trigger, a takeover,
/// a closed window: those are recorded on the conversation instead).
pub async fn process(app: &App, cache: &AgentCache, trigger: &Trigger, deadline: Deadline) -> Result<(), RetryLater> {
    if trigger.kind == TriggerKind::Event {
        return crate::usecases::events::deliver(app, &trigger.workspace_id, &trigger.id)
            .await
            .map_err(RetryLater::Busy);
    }
    let mut reply: Option<ChatReply> = None;
    let mut retries = Retries::new("the conversation");
    loop {
        retries.another().await.map_err(|busy| RetryLater::Busy(busy.to_string()))?;
        let Some(conversation) = app.store.get_conversation(&trigger.workspace_id, &trigger.conversation_id).await?
        else {
            tracing::warn!(conversation = %trigger.conversation_id, "trigger for a conversation that does not exist");
            return Ok(());
        };
        let recent = PageRequest { limit: HISTORY, cursor: None };
        let mut history = app.store.list_messages(&conversation.id, &recent).await?.items;
        history.reverse();
        history.retain(|m| m.created_at >= conversation.session_started_at || m.direction == Direction::Inbound);

        if let Some(pending) =
            history.iter().rev().find(|m| is_reply(m) && m.status == DeliveryStatus::Pending).cloned()
        {
            return deliver(app, &conversation, pending).await;
        }
        if trigger.kind == TriggerKind::FollowUp {
            match follow_up(app, cache, trigger, &conversation, &history, deadline).await? {
                FollowUpOutcome::Done => return Ok(()),
                FollowUpOutcome::Conflict => continue,
            }
        }
        let answered_upto = history.iter().rposition(is_reply).map_or(0, |i| i + 1);
        let unanswered = history[answered_upto..]
            .iter()
            .any(|m| matches!(m.direction, Direction::Inbound | Direction::Operator) && m.error.is_none());
        if !unanswered {
            tracing::info!(conversation = %conversation.id, trigger = %trigger.id, "nothing left to answer");
            return Ok(());
        }
        let now = app.clock.now();
        if conversation.is_human_takeover(now) {
            return skip(app, &conversation, "a human has taken over this conversation").await;
        }
        if !conversation.is_window_open(now) {
            return skip(app, &conversation, "outside the 24-hour customer-service window: only templates may be sent")
                .await;
        }
        let Some(agent) = cache.agent(app, &conversation.workspace_id, &conversation.agent_id).await? else {
            return skip(app, &conversation, "the conversation's agent no longer exists").await;
        };
        if reply.is_none() {
            if let Some(workspace) = app.workspaces.get(app, &conversation.workspace_id).await? {
                if let Err(err) = crate::usecases::quota::check(app, &workspace).await {
                    return skip(app, &conversation, &err.to_string()).await;
                }
            }
        }
        let answer = match reply.take() {
            Some(answer) => answer,
            None => {
                let Some(prompt) = cache.system_prompt(app, &agent).await? else {
                    return skip(app, &conversation, "the agent's prompt version no longer exists").await;
                };
                let request = ChatRequest {
                    provider: agent.model.provider,
                    model: agent.model.name.clone(),
                    system: prompt.content.text.clone(),
                    turns: turns(&history),
                    temperature: agent.model.temperature.or(prompt.content.temperature),
                    max_tokens: agent.model.max_tokens,
                };
                let answer = match complete(app, &request, deadline).await {
                    Ok(answer) => answer,
                    Err(err) if !err.is_retryable() => {
                        return fail(app, &conversation, &format!("the LLM refused the request: {err}")).await
                    }
                    Err(err) => return Err(RetryLater::Llm(err)),
                };
                checked_output(app, &conversation, &agent, answer).await?
            }
        };
        let mut message =
            Message::new(&conversation.id, Direction::Outbound, "text", DeliveryStatus::Pending, app.clock.now());
        message.text = Some(answer.text.clone());
        message.usage = Some(TokenUsage {
            input_tokens: answer.input_tokens,
            output_tokens: answer.output_tokens,
            model: answer.model.clone(),
        });
        let mut updated = conversation.revised(message.created_at);
        updated.last_message = Some(preview(&answer.text));
        updated.input_tokens += answer.input_tokens;
        updated.output_tokens += answer.output_tokens;
        updated.follow_up_due_at = agent
            .follow_up
            .as_ref()
            .map(|policy| message.created_at + time::Duration::minutes(i64::from(policy.after_minutes)));
        // Conditional on the revision: a takeover while the LLM was thinking makes this fail,
        // and the next round sees it.
        let usage = usage_of(&conversation, &agent.id, &answer, message.created_at);
        match app.store.save_reply(&updated, conversation.revision, &message, &usage).await {
            Ok(()) => return deliver(app, &updated, message).await,
            Err(StoreError::Conflict(_)) => reply = Some(answer),
            Err(err) => return Err(err.into()),
        }
    }}

/// What a reply says when an output policy blocked what the LLM wrote.
pub const DEFAULT_FALLBACK: &str = "Sorry, I can't help with that here.";

/// Output policies run on the LLM's reply before it is stored: a blocked reply is replaced by
/// the agent's fallback text (the tokens still count).
async fn checked_output(
    app: &App,
    conversation: &Conversation,
    agent: &Agent,
    mut answer: ChatReply,
) -> Result<ChatReply, RetryLater> {
    let verdict = evaluate(app, &conversation.workspace_id, &conversation.id, Flow::Output, &answer.text)
        .await
        .map_err(|err| RetryLater::Busy(err.to_string()))?;
    if let Some(policy) = verdict.blocked_by {
        tracing::info!(conversation = %conversation.id, policy = %policy, "reply replaced by the fallback text");
        answer.text = agent.fallback_text.clone().unwrap_or_else(|| DEFAULT_FALLBACK.to_owned());
    }
    Ok(answer)
}

fn usage_of(conversation: &Conversation, agent_id: &str, answer: &ChatReply, at: time::OffsetDateTime) -> UsageDelta {
    UsageDelta {
        workspace_id: conversation.workspace_id.clone(),
        agent_id: agent_id.to_owned(),
        day: day_of(at),
        tokens: Tokens { input_tokens: answer.input_tokens, output_tokens: answer.output_tokens, calls: 1 },
    }
}

enum FollowUpOutcome {
    Done,
    /// The conversation moved under us: read it again.
    Conflict,
}

/// A follow-up, re-checked at send time: still due, this attempt, the contact has not written,
/// no takeover. Inside the window the LLM writes it; outside, the agent's template is sent.
async fn follow_up(
    app: &App,
    cache: &AgentCache,
    trigger: &Trigger,
    conversation: &Conversation,
    history: &[Message],
    deadline: Deadline,
) -> Result<FollowUpOutcome, RetryLater> {
    let now = app.clock.now();
    let attempt = trigger.attempt.unwrap_or(0);
    let still_due = conversation.follow_up_due_at.is_some() && conversation.follow_ups_sent + 1 == attempt;
    let contact_wrote_last = history.last().is_some_and(|m| m.direction == Direction::Inbound);
    if !still_due || contact_wrote_last {
        tracing::info!(conversation = %conversation.id, attempt, "follow-up no longer due");
        return Ok(FollowUpOutcome::Done);
    }
    let agent = cache.agent(app, &conversation.workspace_id, &conversation.agent_id).await?;
    let Some(policy) = agent.as_ref().and_then(|a| a.follow_up.clone()) else {
        return stop_follow_ups(app, conversation, "the agent has no follow-up policy").await;
    };
    if conversation.is_human_takeover(now) {
        return stop_follow_ups(app, conversation, "a human has taken over this conversation").await;
    }
    let Some(agent) = agent else { return Ok(FollowUpOutcome::Done) };
    let mut updated = conversation.revised(now);
    updated.follow_ups_sent = attempt;
    updated.follow_up_due_at =
        (attempt < policy.max_attempts).then(|| now + time::Duration::minutes(i64::from(policy.after_minutes)));

    if conversation.is_window_open(now) {
        let Some(prompt) = cache.system_prompt(app, &agent).await? else {
            return stop_follow_ups(app, conversation, "the agent's prompt version no longer exists").await;
        };
        let mut turns = turns(history);
        let nudge = format!(
            "[Follow-up {attempt} of {}: the contact has not answered for {} minutes. {}]",
            policy.max_attempts, policy.after_minutes, policy.instruction
        );
        match turns.last_mut() {
            Some(last) if last.role == ChatRole::User => last.content = format!("{}\n{nudge}", last.content),
            _ => turns.push(ChatTurn { role: ChatRole::User, content: nudge }),
        }
        let request = ChatRequest {
            provider: agent.model.provider,
            model: agent.model.name.clone(),
            system: prompt.content.text.clone(),
            turns,
            temperature: agent.model.temperature.or(prompt.content.temperature),
            max_tokens: agent.model.max_tokens,
        };
        let answer = complete(app, &request, deadline).await.map_err(RetryLater::Llm)?;
        let answer = checked_output(app, conversation, &agent, answer).await?;
        let mut message = Message::new(&conversation.id, Direction::Outbound, "text", DeliveryStatus::Pending, now);
        message.text = Some(answer.text.clone());
        message.usage = Some(TokenUsage {
            input_tokens: answer.input_tokens,
            output_tokens: answer.output_tokens,
            model: answer.model.clone(),
        });
        updated.last_message = Some(preview(&answer.text));
        updated.input_tokens += answer.input_tokens;
        updated.output_tokens += answer.output_tokens;
        let usage = usage_of(conversation, &agent.id, &answer, now);
        return match app.store.save_reply(&updated, conversation.revision, &message, &usage).await {
            Ok(()) => deliver(app, &updated, message).await.map(|()| FollowUpOutcome::Done),
            Err(StoreError::Conflict(_)) => Ok(FollowUpOutcome::Conflict),
            Err(err) => Err(err.into()),
        };
    }
    let Some(template) = policy.template.clone() else {
        return stop_follow_ups(
            app,
            conversation,
            "the 24-hour window is closed and the agent has no follow-up template",
        )
        .await;
    };
    let outbound = Outbound::Template { to: conversation.contact.wa_id.clone(), template: template.clone() };
    let mut message = Message::new(&conversation.id, Direction::Outbound, "template", DeliveryStatus::Sent, now);
    message.template = Some(template.name.clone());
    let from = match sender(app, &conversation.workspace_id, &conversation.phone_number_id).await {
        Ok(from) => from,
        Err(SenderError::Refused(why)) => return stop_follow_ups(app, conversation, &why).await,
        Err(SenderError::Unavailable(why)) => return Err(RetryLater::Busy(why)),
    };
    match send_with_retry(app.whatsapp.as_ref(), &from, &outbound, SEND_ATTEMPTS).await {
        Ok(wamid) => {
            message.wamid = Some(wamid.clone());
            message.sent_parts = vec![wamid];
        }
        Err(err) if err.is_retryable() => return Err(RetryLater::WhatsApp(err)),
        Err(err) => {
            message.status = DeliveryStatus::Failed;
            message.error = Some(MessageError { code: err.code().unwrap_or(0), message: err.to_string() });
        }
    }
    updated.last_message = Some(preview(&format!("[template] {}", template.name)));
    match app.store.save_conversation(&updated, Some(conversation.revision), std::slice::from_ref(&message)).await {
        Ok(()) | Err(StoreError::Conflict(_)) => {}
        Err(err) => return Err(err.into()),
    }
    app.store.record_delivery(&conversation.workspace_id, &message).await?;
    Ok(FollowUpOutcome::Done)
}

/// No more follow-ups for now, and a `skipped` message that says why.
async fn stop_follow_ups(app: &App, conversation: &Conversation, why: &str) -> Result<FollowUpOutcome, RetryLater> {
    let mut stopped = conversation.clone();
    stopped.follow_up_due_at = None;
    skip(app, &stopped, why).await.map(|()| FollowUpOutcome::Done)
}

/// Records a deliberate non-reply so that the messages before it count as handled and the
/// conversation says why.
async fn skip(app: &App, conversation: &Conversation, why: &str) -> Result<(), RetryLater> {
    tracing::info!(conversation = %conversation.id, reason = why, "no reply sent");
    record_no_reply(app, conversation, DeliveryStatus::Skipped, why).await
}

/// A reply that cannot be made (the LLM refused the request for good, or the trigger failed its
/// last try): recorded as a `failed` reply with the reason, where an operator looks.
async fn fail(app: &App, conversation: &Conversation, why: &str) -> Result<(), RetryLater> {
    tracing::warn!(conversation = %conversation.id, reason = why, "no reply could be made");
    record_no_reply(app, conversation, DeliveryStatus::Failed, why).await
}

/// On a trigger's last receive before the dead-letter queue: the conversation says why it got no
/// answer.
pub async fn give_up(app: &App, trigger: &Trigger, reason: &str) -> Result<(), RetryLater> {
    if trigger.kind == TriggerKind::Event {
        return Ok(());
    }
    let Some(conversation) = app.store.get_conversation(&trigger.workspace_id, &trigger.conversation_id).await? else {
        return Ok(());
    };
    fail(app, &conversation, &format!("no reply after repeated failures: {reason}")).await
}

async fn record_no_reply(
    app: &App,
    conversation: &Conversation,
    status: DeliveryStatus,
    why: &str,
) -> Result<(), RetryLater> {
    let mut marker = Message::new(&conversation.id, Direction::Outbound, "text", status, app.clock.now());
    marker.error = Some(MessageError { code: 0, message: why.to_owned() });
    let updated = conversation.revised(marker.created_at);
    match app.store.save_conversation(&updated, Some(conversation.revision), &[marker]).await {
        Ok(()) | Err(StoreError::Conflict(_)) => Ok(()),
        Err(err) => Err(err.into()),
    }
}

/// Sends a stored reply, part by part, resuming after the parts already sent.
async fn deliver(app: &App, conversation: &Conversation, mut message: Message) -> Result<(), RetryLater> {
    let now = app.clock.now();
    if conversation.is_human_takeover(now) || !conversation.is_window_open(now) {
        message.status = DeliveryStatus::Skipped;
        let why = if conversation.is_human_takeover(now) {
            "a human took over before it was sent"
        } else {
            "the 24-hour window closed before it was sent"
        };
        message.error = Some(MessageError { code: 0, message: why.to_owned() });
        app.store.record_delivery(&conversation.workspace_id, &message).await?;
        return Ok(());
    }
    if conversation.channel == Channel::Api {
        message.status = DeliveryStatus::Sent;
        app.store.record_delivery(&conversation.workspace_id, &message).await?;
        return Ok(());
    }
    let from = match sender(app, &conversation.workspace_id, &conversation.phone_number_id).await {
        Ok(from) => from,
        Err(SenderError::Refused(why)) => {
            message.status = DeliveryStatus::Failed;
            message.error = Some(MessageError { code: 0, message: why });
            app.store.record_delivery(&conversation.workspace_id, &message).await?;
            return Ok(());
        }
        Err(SenderError::Unavailable(why)) => return Err(RetryLater::Busy(why)),
    };
    let parts = split_text(message.text.as_deref().unwrap_or_default(), MAX_TEXT_CHARS);
    let mut failure = None;
    for part in parts.iter().skip(message.sent_parts.len()) {
        let outbound = Outbound::Text { to: conversation.contact.wa_id.clone(), body: part.clone() };
        match send_with_retry(app.whatsapp.as_ref(), &from, &outbound, SEND_ATTEMPTS).await {
            Ok(wamid) => message.sent_parts.push(wamid),
            Err(err) => {
                failure = Some(err);
                break;
            }
        }
    }
    message.wamid = message.sent_parts.first().cloned();
    match failure {
        None => {
            message.status = DeliveryStatus::Sent;
            let data = serde_json::json!({"messageId": message.id, "wamid": message.wamid, "to": conversation.contact.phone_number, "text": message.text});
            emit_quietly(app, &conversation.workspace_id, EventType::MessageSent, &conversation.id, data).await;
        }
        Some(err) if err.is_retryable() => {
            if !message.sent_parts.is_empty() {
                app.store.record_delivery(&conversation.workspace_id, &message).await?;
            }
            return Err(RetryLater::WhatsApp(err));
        }
        Some(err) => {
            tracing::warn!(conversation = %conversation.id, code = ?err.code(), "WhatsApp refused the reply for good");
            message.status = DeliveryStatus::Failed;
            message.error = Some(MessageError { code: err.code().unwrap_or(0), message: err.to_string() });
        }
    }
    app.store.record_delivery(&conversation.workspace_id, &message).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_splits_at_boundaries_within_the_limit() {
        let text = format!("{}\n\n{}", "a".repeat(3000), "b ".repeat(1500));
        let parts = split_text(&text, MAX_TEXT_CHARS);
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().all(|p| p.chars().count() <= MAX_TEXT_CHARS));
        assert_eq!(parts[0], "a".repeat(3000));
        let unbroken = "x".repeat(9000);
        let parts = split_text(&unbroken, MAX_TEXT_CHARS);
        assert_eq!(parts.iter().map(|p| p.chars().count()).collect::<Vec<_>>(), vec![4096, 4096, 808]);
        assert_eq!(split_text("short", MAX_TEXT_CHARS), vec!["short"]);
    }

    proptest::proptest! {
        #[test]
        fn any_text_splits_into_parts_within_the_limit_losing_nothing(text in "\\PC{0,300}", max in 1usize..40) {
            let parts = split_text(&text, max);
            for part in &parts {
                proptest::prop_assert!(!part.is_empty() && part.chars().count() <= max, "{part:?}");
            }
            let kept: String = parts.concat().chars().filter(|c| !c.is_whitespace()).collect();
            let given: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            proptest::prop_assert_eq!(kept, given);
        }
    }
}
