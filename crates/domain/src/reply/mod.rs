//! The agent loop's worker side: answer every unanswered message of a conversation in one LLM
//! call, store the reply before sending it, and check takeover and the 24-hour window at send time.
//!
//! A reply is a pipeline of stages, each in its own module, run in rounds until one ends it:
//! `gate` (load the conversation and its history; is there something the agent may answer now?)
//! → `media::prepare` (perceive what the contact sent) → `gate::quiet_period` (wait for a burst
//! to end) → `tools::advance` (move the tool calls on) → `think` (the model writes, with tool
//! steps, and the output policies check it) → `write` (store the reply, conditional on the
//! conversation's revision) → `delivery` (send it). A lost write or a settled tool call starts
//! another round with what changed. `turns` writes the history as the model reads it,
//! `follow_up` writes follow-ups, `agent_cache` keeps agents and prompts per container.

mod agent_cache;
mod delivery;
#[cfg(test)]
mod fakes;
mod follow_up;
mod gate;
mod knowledge;
mod ports;
mod think;
mod tools;
mod turns;
mod write;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::time::Duration;

use crate::agents::text as agent_text;
use crate::conversations::messaging::send_with_retry;
use crate::conversations::model::preview;
use crate::events::emit_quietly;
use crate::media;
use crate::media::model::MediaKind;
use crate::metrics::Measurement;
use crate::model::cache::TtlCache;
use crate::model::deadline::Deadline;
use crate::model::ReplyDelay;
use crate::model::{
    Agent, Channel, Conversation, DeliveryStatus, Direction, Message, MessageError, MessageId, MessageKind, PromptUsed,
    PromptVersion, TokenUsage,
};
use crate::numbers::senders::{sender_of, SenderError};
use crate::optimistic::Retries;
use crate::policies::evaluate;
use crate::policies::model::Flow;
pub use crate::ports::Attempt;
use crate::ports::{
    ChatReply, ChatRequest, ChatRole, ChatTurn, ImageInput, LlmError, Outbound, StoreError, ToolCallRequest,
    ToolResult, Turn,
};
use crate::usage::model::{day_of, Tokens, UsageDelta};

pub use agent_cache::{AgentCache, SystemPrompt};
use delivery::{deliver, fail, skip};
pub use delivery::{give_up, split_text};
use follow_up::{follow_up, FollowUpOutcome};
use gate::{load, Loaded, Next};
pub use ports::ReplyPorts;
use think::{checked_output, complete, Thought};
pub(crate) use tools::settle;
use turns::{turns, turns_seeing};
use write::{usage_of, Written};

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
    /// A part's send may have reached Meta: come back when its status has had time to arrive.
    #[error("waiting for WhatsApp to confirm a part whose answer was lost")]
    AwaitingStatus(Duration),
}

/// A reply as the contact will see it: WhatsApp's own marks instead of Markdown.
pub(super) fn as_shown(conversation: &Conversation, text: &str) -> String {
    match conversation.channel {
        Channel::WhatsApp { .. } => crate::model::formatting::markdown_to_whatsapp(text),
        Channel::Api | Channel::Test => text.to_owned(),
    }
}

/// An answer the agent wrote, or tried to send. The marker of a reply that could not be made
/// (no text, `failed`: the LLM refused, the trigger died) is not one: what it left unanswered is
/// answered by the next trigger, a redriven one or the contact's next message.
pub(super) fn is_reply(message: &Message) -> bool {
    let no_reply_made = message.status == DeliveryStatus::Failed && message.text.is_none();
    message.direction == Direction::Outbound && message.kind == MessageKind::Text && !no_reply_made
}

/// What one trigger's run keeps from round to round.
#[derive(Default)]
struct Run {
    /// An answer whose write was lost, with the newest message it saw and the prompt it used.
    draft: Option<(ChatReply, Option<MessageId>, Option<PromptUsed>)>,
    /// Tokens of answers thrown away because a newer message came in while the LLM wrote.
    discarded: Tokens,
    redos: u32,
    /// Images read from the media bucket for this trigger: each LLM call of a tool loop shows them.
    images: HashMap<MessageId, ImageInput>,
    /// Messages whose media this trigger processed: a later read of the history may not show it.
    media_done: HashMap<MessageId, Message>,
    /// The knowledge put in the model's context, found once per run.
    knowledge: Option<knowledge::Given>,
    /// The split arm the conversation fell in, stored with the reply.
    arm: Option<crate::conversations::model::PromptArm>,
}

/// Answers a turn of the conversation (or writes follow-up `follow_up_attempt`). `Ok` also when
/// there was nothing to do (a duplicate trigger, a takeover, a closed window: those are recorded
/// on the conversation instead).
pub async fn answer(
    ports: &ReplyPorts<'_>,
    cache: &AgentCache,
    turn: &Turn,
    follow_up_attempt: Option<u32>,
    deadline: Deadline,
    attempt: Attempt,
) -> Result<(), RetryLater> {
    let mut run = Run::default();
    let mut retries = Retries::new("the conversation");
    loop {
        retries.another().await.map_err(|busy| RetryLater::Busy(busy.to_string()))?;
        let Some(mut loaded) = load(ports, turn).await? else { return Ok(()) };
        if loaded.conversation.channel.is_test() != ports.sandbox {
            tracing::warn!(conversation = %loaded.conversation.id, sandbox = ports.sandbox, "a test conversation is answered only by its test run, and a test run answers nothing else");
            return Ok(());
        }
        if let Some(pending) = loaded.pending_reply() {
            return deliver(ports, &loaded.conversation, pending).await;
        }
        if let Some(nth) = follow_up_attempt {
            match follow_up(ports, cache, nth, &loaded.conversation, &loaded.history, deadline).await? {
                FollowUpOutcome::Done => return Ok(()),
                FollowUpOutcome::Conflict => continue,
            }
        }
        let Next::Go(agent) = gate::gate(ports, cache, &mut loaded, &mut run, attempt).await? else { return Ok(()) };
        // Media is read before anything is answered; what a policy blocks in it is not answered.
        let (conversation, unanswered) = loaded.unanswered_mut();
        media::prepare(&ports.media, conversation, &agent, unanswered, attempt.is_last(), &mut run.media_done).await?;
        if !gate::has_unanswered(loaded.unanswered()) {
            return Ok(());
        }
        if run.draft.is_none() && attempt.may_wait() && loaded.conversation.channel.is_whatsapp() {
            if let Some(wait) = gate::quiet_period(ports, cache, &agent, &loaded, ports.clock.now()).await? {
                return Err(RetryLater::NotYet(wait));
            }
        }
        let Some(prompt) = cache.system_prompt(ports, &agent, &loaded.conversation).await? else {
            return skip(ports, &loaded.conversation, "prompt_gone", "the agent's prompt version no longer exists")
                .await;
        };
        run.arm = prompt.arm.clone();
        let agent_tools = tools::AgentTools::of(ports, cache, &agent, &prompt.content).await?;
        match tools::advance(ports, &loaded.conversation, &agent, &agent_tools, loaded.unanswered(), deadline).await? {
            tools::Advance::Ready => {}
            tools::Advance::Changed => {
                retries = Retries::new("the conversation");
                continue;
            }
            tools::Advance::Paused => {
                tracing::info!(conversation = %loaded.conversation.id, "a tool call awaits a person's decision");
                return Ok(());
            }
        }
        let thinking =
            think::Thinking { loaded: &loaded, agent: &agent, prompt: &prompt, tools: &agent_tools, deadline };
        let (answer, prompt_used) = match think::think(ports, thinking, &mut run).await? {
            Thought::Answer(answer, prompt_used) => (answer, prompt_used),
            Thought::ToolCallsRecorded => {
                retries = Retries::new("the conversation");
                continue;
            }
            Thought::Again => continue,
            Thought::Stop => return Ok(()),
        };
        match write::write(ports, &loaded, &agent, answer, prompt_used, &mut run).await? {
            Written::Saved(saved) => {
                let (updated, message) = *saved;
                return deliver(ports, &updated, message).await;
            }
            Written::Lost => continue,
        }
    }
}
