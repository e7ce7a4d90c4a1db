//! Load and gate: the conversation and its recent history, and whether the agent may answer
//! them now (something unanswered, no takeover, the 24-hour window open, the agent still there,
//! the workspace within its quota), and the quiet period a burst of messages is waited out for.

use super::*;
use crate::model::MessageId;

/// What a stage hands on: the next stage's input, or the run is over (what ended it is
/// recorded on the conversation).
pub(super) enum Next<T> {
    Go(T),
    Stop,
}

/// The conversation and its recent history, oldest first, as one round of a run reads them.
pub(super) struct Loaded {
    pub conversation: Conversation,
    pub history: Vec<Message>,
    /// Where the messages since the agent's last reply start.
    answered_upto: usize,
}

impl Loaded {
    pub fn new(conversation: Conversation, mut history: Vec<Message>) -> Self {
        history.retain(|m| m.created_at >= conversation.session_started_at || m.direction == Direction::Inbound);
        let answered_upto = history.iter().rposition(is_reply).map_or(0, |i| i + 1);
        Self { conversation, history, answered_upto }
    }

    /// What came since the agent's last reply.
    pub fn unanswered(&self) -> &[Message] {
        &self.history[self.answered_upto..]
    }

    /// The conversation, and what came since the agent's last reply for media to be read into.
    pub fn unanswered_mut(&mut self) -> (&Conversation, &mut [Message]) {
        (&self.conversation, &mut self.history[self.answered_upto..])
    }

    /// A reply stored but not yet sent (a delivery that stopped half-way): it goes first.
    pub fn pending_reply(&self) -> Option<Message> {
        self.history.iter().rev().find(|m| is_reply(m) && m.status == DeliveryStatus::Pending).cloned()
    }

    /// The newest message the agent saw: a draft written before a newer one is stale.
    pub fn newest(&self) -> Option<MessageId> {
        self.history.last().map(|m| m.id.clone())
    }
}

pub(super) async fn load(ports: &ReplyPorts<'_>, turn: &Turn) -> Result<Option<Loaded>, RetryLater> {
    let loaded = ports.conversations.load_conversation(&turn.workspace_id, &turn.conversation_id, HISTORY).await?;
    let Some((conversation, mut history)) = loaded else {
        tracing::warn!(conversation = %turn.conversation_id, "trigger for a conversation that does not exist");
        return Ok(None);
    };
    history.reverse();
    Ok(Some(Loaded::new(conversation, history)))
}

/// Whether the agent may answer now, and with which agent. A stop is recorded as a skipped reply
/// with why (a takeover, a closed window, a deleted agent, the quota).
pub(super) async fn gate(
    ports: &ReplyPorts<'_>,
    cache: &AgentCache,
    loaded: &mut Loaded,
    run: &mut Run,
    attempt: Attempt,
) -> Result<Next<Agent>, RetryLater> {
    if !has_unanswered(loaded.unanswered()) {
        tracing::info!(conversation = %loaded.conversation.id, "nothing left to answer");
        return Ok(Next::Stop);
    }
    let now = ports.clock.now();
    if loaded.conversation.is_human_takeover(now) {
        // The person who took over reads what the contact sent: voice notes are transcribed
        // and documents read all the same (the agent finds them done when it resumes).
        let (conversation, unanswered) = loaded.unanswered_mut();
        if let Some(agent) = cache.agent(ports, &conversation.workspace_id, &conversation.agent_id).await? {
            media::prepare(&ports.media, conversation, &agent, unanswered, attempt.is_last(), &mut run.media_done)
                .await?;
        }
        return stop(skip(ports, conversation, "takeover", "a human has taken over this conversation").await);
    }
    let conversation = &loaded.conversation;
    if !conversation.is_window_open(now) {
        let why = "outside the 24-hour customer-service window: only templates may be sent";
        return stop(skip(ports, conversation, "window_closed", why).await);
    }
    let Some(agent) = cache.agent(ports, &conversation.workspace_id, &conversation.agent_id).await? else {
        return stop(skip(ports, conversation, "agent_gone", "the conversation's agent no longer exists").await);
    };
    if run.draft.is_none() {
        if let Some(workspace) = ports.workspaces.get_workspace(&conversation.workspace_id).await? {
            if let Err(err) = crate::usage::quota::check(ports.usage, ports.clock.now(), &workspace).await {
                return stop(skip(ports, conversation, "over_quota", &err.to_string()).await);
            }
        }
    }
    Ok(Next::Go(agent))
}

fn stop<T>(recorded: Result<(), RetryLater>) -> Result<Next<T>, RetryLater> {
    recorded.map(|()| Next::Stop)
}

pub(super) fn has_unanswered(since_reply: &[Message]) -> bool {
    since_reply.iter().any(|m| {
        matches!(m.direction, Direction::Inbound | Direction::Operator) && m.error.is_none() && m.for_the_agent()
    })
}

/// How much longer to wait for the contact to finish a burst, if at all: the agent's
/// `replyDelaySeconds`, else the prompt's `responseTime`, else the default.
pub(super) async fn quiet_period(
    ports: &ReplyPorts<'_>,
    cache: &AgentCache,
    agent: &Agent,
    loaded: &Loaded,
    now: time::OffsetDateTime,
) -> Result<Option<Duration>, RetryLater> {
    let unanswered = loaded.unanswered();
    let Some(last) = unanswered.iter().rev().find(|m| m.direction == Direction::Inbound) else { return Ok(None) };
    let quiet = match agent.reply_delay_seconds {
        Some(delay) => delay.duration(),
        None => {
            match cache.system_prompt(ports, agent, &loaded.conversation).await?.and_then(|p| p.content.response_time) {
                Some(seconds) => ReplyDelay::from_prompt(seconds),
                None => ReplyDelay::DEFAULT.duration(),
            }
        }
    };
    Ok(wait_left(quiet, last.created_at, now))
}

/// How much of `quiet` is left since the contact's last message at `last`; `None` once it passed.
fn wait_left(quiet: Duration, last: time::OffsetDateTime, now: time::OffsetDateTime) -> Option<Duration> {
    let since = Duration::try_from(now - last).unwrap_or(Duration::ZERO);
    quiet.checked_sub(since).filter(|wait| !wait.is_zero())
}

#[cfg(test)]
mod tests;
