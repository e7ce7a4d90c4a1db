//! The agent loop's worker side: answer every unanswered message of a conversation in one LLM
//! call, store the reply before sending it, and check takeover and the 24-hour window at send time.
//!
//! `agent_cache` keeps agents and prompts per container, `follow_up` writes follow-ups, `delivery`
//! sends stored replies and records why none was sent.

mod agent_cache;
mod delivery;
mod follow_up;
mod tools;

use std::collections::HashMap;
use std::time::Duration;

use crate::model::agent::{DEFAULT_REPLY_DELAY_SECONDS, MAX_REPLY_DELAY_SECONDS};
use crate::model::agent_text;
use crate::model::cache::TtlCache;
use crate::model::conversation::preview;
use crate::model::deadline::Deadline;
use crate::model::media::MediaKind;
use crate::model::policy::Flow;
use crate::model::usage::{day_of, Tokens, UsageDelta};
use crate::model::Channel;
use crate::model::MessageKind;
use crate::model::PromptUsed;
use crate::model::{
    Agent, Conversation, DeliveryStatus, Direction, Message, MessageError, PageRequest, PromptVersion, TokenUsage,
};
use crate::ports::{
    ChatReply, ChatRequest, ChatRole, ChatTurn, ImageInput, LlmError, Outbound, StoreError, ToolCallRequest,
    ToolResult, Turn,
};
use crate::usecases::events::emit_quietly;
use crate::usecases::media;
use crate::usecases::messaging::send_with_retry;
use crate::usecases::optimistic::Retries;
use crate::usecases::policies::evaluate;
use crate::usecases::senders::{sender_of, SenderError};
use crate::App;

pub use agent_cache::{AgentCache, SystemPrompt};
use delivery::{deliver, fail, skip};
pub use delivery::{give_up, split_text};
use follow_up::{follow_up, FollowUpOutcome};
pub(crate) use tools::settle;

/// How many recent messages the agent sees.
pub const HISTORY: u32 = 30;
/// WhatsApp's limit for one text message.
pub const MAX_TEXT_CHARS: usize = 4096;
const LLM_ATTEMPTS: u32 = 3;
const SEND_ATTEMPTS: u32 = 3;

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
    /// The contact is still writing: come back when the conversation has been quiet long enough.
    #[error("the contact is still writing")]
    NotYet(Duration),
}

/// A reply as the contact will see it: WhatsApp's own marks instead of Markdown.
pub(super) fn as_shown(conversation: &Conversation, text: &str) -> String {
    match conversation.channel {
        Channel::Whatsapp => crate::model::formatting::markdown_to_whatsapp(text),
        Channel::Api => text.to_owned(),
    }
}

pub(super) fn is_reply(message: &Message) -> bool {
    message.direction == Direction::Outbound && message.kind == MessageKind::Text
}

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
pub(super) fn turns_seeing(history: &[Message], images: &HashMap<String, ImageInput>) -> Vec<ChatTurn> {
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
fn push_tool_call(turns: &mut Vec<ChatTurn>, call: &crate::model::tool_call::ToolCall, same_batch: bool) {
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

pub(super) async fn complete(app: &App, request: &ChatRequest, deadline: Deadline) -> Result<ChatReply, LlmError> {
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

/// Which receive of its trigger this is: the queue brings a failed trigger back, and dead-letters
/// it after `MAX_RECEIVES`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    receive: u32,
}

impl Attempt {
    /// A trigger is put off for the quiet period at most this many receives, well before the
    /// dead-letter queue: a contact who never stops writing is still answered.
    pub const MAX_DEFERRALS: u32 = 3;
    /// The queue's redrive policy dead-letters a trigger after this many receives.
    pub const MAX_RECEIVES: u32 = 5;

    /// The `receive`th receive (the first is 1).
    pub fn receive(receive: u32) -> Self {
        Self { receive: receive.max(1) }
    }

    /// Whether the trigger may still be put off for the quiet period.
    pub fn may_wait(self) -> bool {
        self.receive < Self::MAX_DEFERRALS
    }

    /// The queue will not bring it back: media that Meta still fails to give is then told to the
    /// agent as unreadable, and a failure is recorded on the conversation.
    pub fn is_last(self) -> bool {
        self.receive >= Self::MAX_RECEIVES
    }
}

/// Answers a turn of the conversation (or writes follow-up `follow_up`). `Ok` also when there was
/// nothing to do (a duplicate trigger, a takeover, a closed window: those are recorded on the
/// conversation instead).
pub async fn answer(
    app: &App,
    cache: &AgentCache,
    turn: &Turn,
    follow_up_attempt: Option<u32>,
    deadline: Deadline,
    attempt: Attempt,
) -> Result<(), RetryLater> {
    // An answer that lost its write, and the newest message it saw.
    let mut reply: Option<(ChatReply, Option<String>, Option<PromptUsed>)> = None;
    // Tokens of answers thrown away because a newer message came in while the LLM wrote.
    let mut discarded = Tokens::default();
    let mut redos = 0;
    // Images read from the media bucket for this trigger: each LLM call of a tool loop shows them.
    let mut images = HashMap::new();
    // Messages whose media this trigger processed: a later read of the history may not show it.
    let mut media_done = HashMap::new();
    let mut retries = Retries::new("the conversation");
    loop {
        retries.another().await.map_err(|busy| RetryLater::Busy(busy.to_string()))?;
        let Some(conversation) = app.store.get_conversation(&turn.workspace_id, &turn.conversation_id).await? else {
            tracing::warn!(conversation = %turn.conversation_id, "trigger for a conversation that does not exist");
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
        if let Some(nth) = follow_up_attempt {
            match follow_up(app, cache, nth, &conversation, &history, deadline).await? {
                FollowUpOutcome::Done => return Ok(()),
                FollowUpOutcome::Conflict => continue,
            }
        }
        let answered_upto = history.iter().rposition(is_reply).map_or(0, |i| i + 1);
        if !has_unanswered(&history[answered_upto..]) {
            tracing::info!(conversation = %conversation.id, trigger = %turn.id, "nothing left to answer");
            return Ok(());
        }
        let now = app.clock.now();
        if conversation.is_human_takeover(now) {
            // The person who took over reads what the contact sent: voice notes are transcribed
            // and documents read all the same (the agent finds them done when it resumes).
            if let Some(agent) = cache.agent(app, &conversation.workspace_id, &conversation.agent_id).await? {
                let unanswered = &mut history[answered_upto..];
                media::prepare(app, &conversation, &agent, unanswered, attempt.is_last(), &mut media_done).await?;
            }
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
        // Media is read before anything is answered; what a policy blocks in it is not answered.
        media::prepare(app, &conversation, &agent, &mut history[answered_upto..], attempt.is_last(), &mut media_done)
            .await?;
        if !has_unanswered(&history[answered_upto..]) {
            return Ok(());
        }
        if reply.is_none() && attempt.may_wait() && conversation.channel == Channel::Whatsapp {
            if let Some(wait) = still_writing(app, cache, &agent, &history[answered_upto..], now).await? {
                return Err(RetryLater::NotYet(wait));
            }
        }
        let Some(prompt) = cache.system_prompt(app, &agent).await? else {
            return skip(app, &conversation, "the agent's prompt version no longer exists").await;
        };
        let agent_tools = tools::AgentTools::of(app, cache, &agent, &prompt.content).await?;
        let since_reply = &history[answered_upto..];
        match tools::advance(app, &conversation, &agent, &agent_tools, since_reply, deadline).await? {
            tools::Advance::Ready => {}
            tools::Advance::Changed => {
                retries = Retries::new("the conversation");
                continue;
            }
            tools::Advance::Paused => {
                tracing::info!(conversation = %conversation.id, "a tool call awaits a person's decision");
                return Ok(());
            }
        }
        let steps = tools::steps_taken(since_reply);
        let newest = history.last().map(|m| m.id.clone());
        let (answer, prompt_used) = match reply.take() {
            // Nothing new since it was written, or it was rewritten enough: send it.
            Some((answer, seen, used)) if seen == newest || redos >= MAX_REDOS => (answer, used),
            stale => {
                match stale {
                    Some((thrown_away, _, _)) => {
                        redos += 1;
                        discarded.add(tokens_of(&thrown_away));
                        tracing::info!(conversation = %conversation.id, redos, "a message came in while the LLM wrote; answering again with it");
                    }
                    None if steps == 0 => acknowledge(app, &conversation, since_reply).await,
                    None => {}
                }
                let turns = turns_seeing(&history, &media::images_for(app, &agent, &history, &mut images).await);
                let request =
                    ChatRequest::for_agent(&agent, prompt.content.text.clone(), prompt.content.temperature, turns)
                        // Past the step limit the model answers with what it has.
                        .offering(if steps < tools::MAX_STEPS { agent_tools.specs() } else { Vec::new() });
                let answer = match complete(app, &request, deadline).await {
                    Ok(answer) => answer,
                    Err(err) if !err.is_retryable() => {
                        return fail(app, &conversation, &format!("the LLM refused the request: {err}")).await
                    }
                    Err(err) => return Err(RetryLater::Llm(err)),
                };
                if !answer.tool_calls.is_empty() && !request.tools.is_empty() {
                    let earlier = std::mem::take(&mut discarded);
                    match tools::record(app, &conversation, &agent, &agent_tools, &answer, earlier).await {
                        Ok(()) => retries = Retries::new("the conversation"),
                        Err(StoreError::Conflict(_)) => {
                            discarded = earlier;
                            discarded.add(tokens_of(&answer));
                        }
                        Err(err) => return Err(err.into()),
                    }
                    continue;
                }
                (checked_output(app, &conversation, &agent, answer).await?, Some(prompt.used))
            }
        };
        let mut message = Message::new(
            &conversation.id,
            Direction::Outbound,
            MessageKind::Text,
            DeliveryStatus::Pending,
            app.clock.now(),
        );
        message.text = Some(as_shown(&conversation, &answer.text));
        message.prompt_used = prompt_used;
        message.usage = Some(TokenUsage {
            input_tokens: answer.input_tokens,
            output_tokens: answer.output_tokens,
            model: answer.model.clone(),
        });
        let mut updated = conversation.revised(message.created_at);
        updated.last_message = message.text.as_deref().map(preview);
        updated.input_tokens += answer.input_tokens + discarded.input_tokens;
        updated.output_tokens += answer.output_tokens + discarded.output_tokens;
        updated.follow_up_due_at = agent
            .follow_up
            .as_ref()
            .map(|policy| message.created_at + time::Duration::minutes(i64::from(policy.after_minutes)));
        if let Some(minutes) = agent.analysis.as_ref().and_then(|analysis| analysis.after_minutes) {
            updated.analysis_due_at = Some(message.created_at + time::Duration::minutes(i64::from(minutes)));
        }
        // Conditional on the revision: a takeover while the LLM was thinking makes this fail,
        // and the next round sees it.
        let mut usage = usage_of(&conversation, &agent.id, &answer, message.created_at);
        usage.tokens.add(discarded);
        match app.store.save_reply(&updated, conversation.revision, &message, &usage).await {
            Ok(()) => return deliver(app, &updated, message).await,
            Err(StoreError::Conflict(_)) => reply = Some((answer, newest, prompt_used)),
            Err(err) => return Err(err.into()),
        }
    }
}

fn has_unanswered(since_reply: &[Message]) -> bool {
    since_reply.iter().any(|m| {
        matches!(m.direction, Direction::Inbound | Direction::Operator) && m.error.is_none() && m.for_the_agent()
    })
}

/// How much longer to wait for the contact to finish a burst, if at all: the agent's
/// `replyDelaySeconds`, else the prompt's `responseTime`, else the default.
async fn still_writing(
    app: &App,
    cache: &AgentCache,
    agent: &Agent,
    unanswered: &[Message],
    now: time::OffsetDateTime,
) -> Result<Option<Duration>, RetryLater> {
    let Some(last) = unanswered.iter().rev().find(|m| m.direction == Direction::Inbound) else { return Ok(None) };
    let quiet = match agent.reply_delay_seconds {
        Some(seconds) => Duration::from_secs(u64::from(seconds)),
        None => match cache.system_prompt(app, agent).await?.and_then(|p| p.content.response_time) {
            Some(seconds) => Duration::from_secs_f64(seconds.clamp(0.0, f64::from(MAX_REPLY_DELAY_SECONDS))),
            None => Duration::from_secs(u64::from(DEFAULT_REPLY_DELAY_SECONDS)),
        },
    };
    let since = Duration::try_from(now - last.created_at).unwrap_or(Duration::ZERO);
    Ok(quiet.checked_sub(since).filter(|wait| !wait.is_zero()))
}

/// How often an answer is thrown away for a message that came in while the LLM wrote; after
/// that, the latest answer is sent (a contact who keeps writing still hears back).
const MAX_REDOS: u32 = 2;

fn tokens_of(answer: &ChatReply) -> Tokens {
    Tokens { input_tokens: answer.input_tokens, output_tokens: answer.output_tokens, calls: 1, ..Tokens::default() }
}

/// Marks the contact's latest message read and shows the typing indicator, in one Graph call,
/// as the agent starts writing. Best effort: a failure here never holds the reply back.
async fn acknowledge(app: &App, conversation: &Conversation, unanswered: &[Message]) {
    if conversation.channel != Channel::Whatsapp {
        return;
    }
    let Some(wamid) =
        unanswered.iter().rev().filter(|m| m.direction == Direction::Inbound).find_map(|m| m.wamid.clone())
    else {
        return;
    };
    let marked = match sender_of(app, conversation).await {
        Ok(from) => app.whatsapp.mark_read(&from, &wamid).await.map_err(|err| err.to_string()),
        Err(err) => Err(err.to_string()),
    };
    if let Err(err) = marked {
        tracing::info!(conversation = %conversation.id, error = %err, "read receipt not sent");
    }
}

/// What a reply says when an output policy blocked what the LLM wrote.
pub const DEFAULT_FALLBACK: &str = "Sorry, I can't help with that here.";

/// Output policies run on the LLM's reply before it is stored: a blocked reply is replaced by
/// the agent's fallback text (the tokens still count).
pub(super) async fn checked_output(
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

pub(super) fn usage_of(
    conversation: &Conversation,
    agent_id: &str,
    answer: &ChatReply,
    at: time::OffsetDateTime,
) -> UsageDelta {
    UsageDelta {
        workspace_id: conversation.workspace_id.clone(),
        agent_id: agent_id.to_owned(),
        day: day_of(at),
        tokens: Tokens {
            input_tokens: answer.input_tokens,
            output_tokens: answer.output_tokens,
            calls: 1,
            ..Tokens::default()
        },
    }
}
