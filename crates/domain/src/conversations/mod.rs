//! Conversations: Wassist's create (optionally opening with a template), reading, listing,
//! and human takeover.

pub mod follow_ups;
pub mod messaging;
pub mod model;
pub mod operator_messages;
pub mod port;

use time::Duration;

use crate::conversations::messaging::send_with_retry;
use crate::conversations::model::preview;
use crate::events::model::ConversationTakenOver;
use crate::events::EventPorts;
use crate::model::phone::wa_id;
use crate::model::values::OutOfRange;
use crate::model::{
    AgentId, Contact, Conversation, ConversationId, DeliveryStatus, Direction, Message, MessageKind, Page, PageRequest,
    Principal, TemplateMessage,
};
use crate::numbers::senders::{sender, SenderError, SenderPorts};
use crate::numbers::{resolve_sender, NumberRejection};
use crate::optimistic::Retries;
use crate::ports::{
    AgentStore, Clock, ConversationStore, NumberStore, Outbound, StoreError, Trigger, TriggerQueue, Turn, WhatsApp,
};
use crate::AppError;

/// The ports starting, changing and adding to a conversation use.
#[derive(Clone, Copy)]
pub struct ConversationPorts<'a> {
    pub conversations: &'a dyn ConversationStore,
    /// A conversation's agent must exist.
    pub agents: &'a dyn AgentStore,
    /// The business number a conversation is started from.
    pub numbers: &'a dyn NumberStore,
    /// A turn is queued for the agent.
    pub queue: &'a dyn TriggerQueue,
    /// An opening template is sent before anything is stored.
    pub whatsapp: &'a dyn WhatsApp,
    pub senders: SenderPorts<'a>,
    pub events: EventPorts<'a>,
    pub clock: &'a dyn Clock,
}

/// How long a takeover lasts: from 1 minute to a day, 10 minutes when not said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TakeoverMinutes(u32);

impl TakeoverMinutes {
    pub const DEFAULT: TakeoverMinutes = TakeoverMinutes(10);
    pub const MAX: u32 = 24 * 60;
    pub const LONGEST: TakeoverMinutes = TakeoverMinutes(Self::MAX);

    pub fn new(minutes: u32) -> Result<Self, OutOfRange> {
        if (1..=Self::MAX).contains(&minutes) {
            Ok(Self(minutes))
        } else {
            Err(OutOfRange::new(format!("must be from 1 to {}", Self::MAX)))
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}
/// Meta's own rate-limit answers are retried this many times within a request.
const SEND_ATTEMPTS: u32 = 3;

/// A conversation to start, its values parsed (the API's `POST /api/v1/conversations/` body).
#[derive(Debug)]
pub enum NewConversation {
    /// With a WhatsApp contact, from one of the workspace's numbers, optionally opened with a
    /// template.
    WhatsApp {
        /// The contact, in E.164 form.
        to: String,
        /// The workspace's number to write from, by its phone number id or display number.
        from_number: Option<String>,
        agent_id: AgentId,
        opening: Option<TemplateMessage>,
    },
    /// Held only over the HTTP API.
    Api { agent_id: AgentId },
}

pub struct Created {
    pub conversation: Conversation,
    pub existed: bool,
}

/// Why a conversation cannot be started or written to as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConversationRejection {
    #[error("no agent with this id in the workspace")]
    UnknownAgent,
    /// An operator's text while the contact's 24-hour window is closed.
    #[error("the contact has not written in the last 24 hours: only a template may be sent")]
    WindowClosedForText,
}

impl From<ConversationRejection> for AppError {
    fn from(rejection: ConversationRejection) -> Self {
        Self::Rejected(rejection.into())
    }
}

async fn agent_of(
    ports: &ConversationPorts<'_>,
    principal: &Principal,
    agent_id: &AgentId,
) -> Result<crate::model::Agent, AppError> {
    ports
        .agents
        .get_agent(&principal.workspace_id, agent_id)
        .await?
        .ok_or_else(|| ConversationRejection::UnknownAgent.into())
}

/// One conversation per (business number, contact): creating it again returns it, switched to
/// the given agent. A template is sent before anything is stored, so a refused send leaves nothing.
pub async fn create_conversation(
    ports: &ConversationPorts<'_>,
    principal: &Principal,
    input: NewConversation,
) -> Result<Created, AppError> {
    let (to, from_number, agent_id, template) = match input {
        NewConversation::Api { agent_id } => return create_api_conversation(ports, principal, &agent_id).await,
        NewConversation::WhatsApp { to, from_number, agent_id, opening } => (to, from_number, agent_id, opening),
    };
    let agent = agent_of(ports, principal, &agent_id).await?;
    let number = resolve_sender(ports.numbers, principal, from_number.as_deref(), Some(&agent.id)).await?;
    let contact_id = wa_id(&to);

    let mut opening = Vec::new();
    if let Some(template) = template {
        let outbound = Outbound::Template { to: contact_id.clone(), template: template.clone() };
        let from =
            sender(&ports.senders, &principal.workspace_id, &number.phone_number_id).await.map_err(
                |err| match err {
                    SenderError::Refused(why) => NumberRejection::Sender(why).into(),
                    SenderError::Unavailable(why) => AppError::Internal(why),
                },
            )?;
        let wamid =
            send_with_retry(ports.whatsapp, &from, &outbound, SEND_ATTEMPTS).await.map_err(AppError::WhatsApp)?;
        opening.push((template.name, wamid));
    }

    let mut retries = Retries::new("the conversation");
    loop {
        retries.another().await?;
        let now = ports.clock.now();
        let existing = ports
            .conversations
            .find_conversation(&principal.workspace_id, &number.phone_number_id, &contact_id)
            .await?;
        let existed = existing.is_some();
        let mut conversation = match existing.clone() {
            Some(mut conversation) => {
                if conversation.agent_id != agent.id {
                    conversation.agent_id = agent.id.clone();
                    conversation.session += 1;
                    conversation.session_started_at = now;
                }
                conversation.revised(now)
            }
            None => {
                let contact = Contact { wa_id: contact_id.clone(), phone_number: to.clone(), name: None };
                Conversation::start(&number, contact, agent.id.clone(), now)
            }
        };
        let messages: Vec<Message> = opening
            .iter()
            .map(|(name, wamid)| Message {
                template: Some(name.clone()),
                wamid: Some(wamid.clone()),
                sent_parts: vec![wamid.clone()],
                ..Message::new(&conversation.id, Direction::Outbound, MessageKind::Template, DeliveryStatus::Sent, now)
            })
            .collect();
        if let Some((name, _)) = opening.first() {
            conversation.last_message = Some(preview(&format!("[template] {name}")));
        }
        let expected = existing.as_ref().map(|c| c.revision);
        match ports.conversations.save_conversation(&conversation, expected, &messages).await {
            Ok(()) => return Ok(Created { conversation, existed }),
            Err(StoreError::Conflict(_)) => continue,
            Err(err) => return Err(err.into()),
        }
    }
}

/// A conversation with no WhatsApp contact, for API callers (Flashback's prompt endpoint).
async fn create_api_conversation(
    ports: &ConversationPorts<'_>,
    principal: &Principal,
    agent_id: &AgentId,
) -> Result<Created, AppError> {
    let agent = agent_of(ports, principal, agent_id).await?;
    let conversation = Conversation::start_api(&principal.workspace_id, agent.id, ports.clock.now());
    ports.conversations.save_conversation(&conversation, None, &[]).await?;
    Ok(Created { conversation, existed: false })
}

pub async fn get_conversation(
    conversations: &dyn ConversationStore,
    principal: &Principal,
    conversation_id: &ConversationId,
) -> Result<Conversation, AppError> {
    conversations
        .get_conversation(&principal.workspace_id, conversation_id)
        .await?
        .ok_or_else(|| AppError::not_found(&format!("conversation `{conversation_id}`")))
}

pub async fn list_conversations(
    conversations: &dyn ConversationStore,
    principal: &Principal,
    page: &PageRequest,
) -> Result<Page<Conversation>, AppError> {
    Ok(conversations.list_conversations(&principal.workspace_id, page).await?)
}

/// The workspace's conversations, newest activity first, at most `max`.
pub async fn recent(
    conversations: &dyn ConversationStore,
    principal: &Principal,
    max: u32,
) -> Result<Vec<Conversation>, AppError> {
    Ok(conversations.recent_conversations(&principal.workspace_id, max).await?)
}

/// Changes whenever any conversation of the workspace does (one read).
pub async fn latest_activity(
    conversations: &dyn ConversationStore,
    principal: &Principal,
) -> Result<Option<String>, AppError> {
    Ok(conversations.latest_activity(&principal.workspace_id).await?)
}

/// The conversation's newest `max` messages (at most), oldest first: what a transcript reads.
pub async fn newest_messages(
    conversations: &dyn ConversationStore,
    conversation_id: &ConversationId,
    max: usize,
) -> Result<Vec<Message>, StoreError> {
    let mut messages = Vec::new();
    let mut cursor = None;
    while messages.len() < max {
        let page = conversations.list_messages(conversation_id, &PageRequest { limit: 100, cursor }).await?;
        messages.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    messages.truncate(max);
    // The store lists newest first.
    messages.reverse();
    Ok(messages)
}

pub async fn list_messages(
    conversations: &dyn ConversationStore,
    principal: &Principal,
    conversation_id: &ConversationId,
    page: &PageRequest,
) -> Result<Page<Message>, AppError> {
    let conversation = get_conversation(conversations, principal, conversation_id).await?;
    Ok(conversations.list_messages(&conversation.id, page).await?)
}

/// A human takes over: the bot sends nothing until the takeover expires or is handed back.
pub async fn take_over(
    ports: &ConversationPorts<'_>,
    principal: &Principal,
    conversation_id: &ConversationId,
    minutes: TakeoverMinutes,
) -> Result<Conversation, AppError> {
    let minutes = minutes.get();
    let until = |now| Some(now + Duration::minutes(i64::from(minutes)));
    let conversation = change(ports.conversations, ports.clock, principal, conversation_id, |conversation, now| {
        conversation.takeover_until = until(now);
        conversation.taken_over_by = Some(principal.key_prefix.clone());
        conversation.follow_up_due_at = None;
    })
    .await?;
    let event = ConversationTakenOver {
        until: conversation.takeover_until.map(crate::model::timestamp::format),
        by_key: principal.key_prefix.clone(),
    };
    crate::events::emit_quietly(&ports.events, &conversation.workspace_id, &conversation.id, &event).await;
    Ok(conversation)
}

/// Marks the conversation done: no follow-ups; the contact writing again reopens it.
pub async fn mark_done(
    conversations: &dyn ConversationStore,
    clock: &dyn Clock,
    principal: &Principal,
    conversation_id: &ConversationId,
) -> Result<Conversation, AppError> {
    change(conversations, clock, principal, conversation_id, |conversation, now| {
        conversation.done_at = Some(now);
        conversation.done_by = Some(principal.key_prefix.clone());
        conversation.follow_up_due_at = None;
    })
    .await
}

pub async fn hand_back(
    conversations: &dyn ConversationStore,
    clock: &dyn Clock,
    principal: &Principal,
    conversation_id: &ConversationId,
) -> Result<Conversation, AppError> {
    change(conversations, clock, principal, conversation_id, |conversation, _| {
        conversation.takeover_until = None;
        conversation.taken_over_by = None;
    })
    .await
}

async fn change<F>(
    conversations: &dyn ConversationStore,
    clock: &dyn Clock,
    principal: &Principal,
    conversation_id: &ConversationId,
    apply: F,
) -> Result<Conversation, AppError>
where
    F: Fn(&mut Conversation, time::OffsetDateTime),
{
    let mut retries = Retries::new("the conversation");
    loop {
        retries.another().await?;
        let current = get_conversation(conversations, principal, conversation_id).await?;
        let now = clock.now();
        let mut next = current.revised(now);
        apply(&mut next, now);
        match conversations.save_conversation(&next, Some(current.revision), &[]).await {
            Ok(()) => return Ok(next),
            Err(StoreError::Conflict(_)) => continue,
            Err(err) => return Err(err.into()),
        }
    }
}

pub const MAX_PROMPT_CHARS: usize = 4000;

/// Wassist's prompt: an operator's instruction, after which the agent writes to the contact.
/// Only while the conversation is active (its 24-hour window is open).
pub async fn prompt_agent(
    ports: &ConversationPorts<'_>,
    principal: &Principal,
    conversation_id: &ConversationId,
    instruction: &str,
) -> Result<(), AppError> {
    let turn = NewTurn {
        direction: Direction::Operator,
        kind: MessageKind::Instruction,
        text: instruction,
        previewed: false,
        closed_window: "the conversation is not active: the contact has not written in the last 24 hours, so the agent cannot write freely; open it with a template",
        trigger: Trigger::OperatorPrompt,
    };
    add_turn(ports, principal, conversation_id, turn).await.map(|_| ())
}

/// A turn someone adds to a conversation for its agent to act on (an operator's instruction, a
/// user's prompt).
pub(crate) struct NewTurn<'a> {
    pub direction: Direction,
    pub kind: MessageKind,
    pub text: &'a str,
    /// Whether the conversation's preview shows it.
    pub previewed: bool,
    /// Why it is refused while the 24-hour window is closed.
    pub closed_window: &'static str,
    pub trigger: fn(Turn) -> Trigger,
}

/// Stores the turn on the conversation (conditional on its revision, retried) and queues the
/// agent for it.
pub(crate) async fn add_turn(
    ports: &ConversationPorts<'_>,
    principal: &Principal,
    conversation_id: &ConversationId,
    turn: NewTurn<'_>,
) -> Result<Message, AppError> {
    let mut retries = Retries::new("the conversation");
    loop {
        retries.another().await?;
        let conversation = get_conversation(ports.conversations, principal, conversation_id).await?;
        let now = ports.clock.now();
        if !conversation.is_window_open(now) {
            return Err(AppError::bad_request(turn.closed_window));
        }
        let mut message =
            Message::new(&conversation.id, turn.direction, turn.kind.clone(), DeliveryStatus::Received, now);
        message.text = Some(turn.text.to_owned());
        let mut updated = conversation.revised(now);
        if turn.previewed {
            updated.last_message = Some(preview(turn.text));
        }
        match ports
            .conversations
            .save_conversation(&updated, Some(conversation.revision), std::slice::from_ref(&message))
            .await
        {
            Ok(()) => {
                ports.queue.enqueue(&(turn.trigger)(Turn::of(&conversation, &message.id))).await?;
                return Ok(message);
            }
            Err(StoreError::Conflict(_)) => continue,
            Err(err) => return Err(err.into()),
        }
    }
}
