//! What the webhook does with each event: store inbound messages once, queue a trigger, move
//! outbound statuses forward. The LLM is never called here.

pub mod model;

use std::time::Duration;

use crate::conversations::model::{preview, UnconfirmedPart};
use crate::events::emit_quietly;
use crate::events::model::MessageReceived;
use crate::inbound::model::{InboundAmendment, InboundMessage, StatusUpdate, WebhookEvent};
use crate::model::cache::TtlCache;
use crate::model::{
    Amendment, Contact, Conversation, ConversationId, DeliveryStatus, Direction, Message, MessageError, MessageKind,
    WhatsAppNumber, WorkspaceId,
};
use crate::optimistic::Retries;
use crate::policies::model::Flow;
use crate::policies::{check, record, PolicyPorts, Verdict};
use crate::ports::{
    AgentStore, Clock, ConversationRef, ConversationStore, InboundUpdate, MessageRef, NumberStore, StoreError, Trigger,
    TriggerQueue, Turn,
};
use crate::AppError;

/// What the webhook stores and queues contacts' messages through.
#[derive(Clone, Copy)]
pub struct InboundPorts<'a> {
    pub conversations: &'a dyn ConversationStore,
    /// Read only when a contact has no conversation: whether they were erased, and when.
    pub contacts: &'a dyn crate::ports::ContactStore,
    /// Cached: every message names its business number.
    pub numbers: &'a dyn NumberStore,
    /// An edit re-evaluated for an agent that is gone is only stored.
    pub agents: &'a dyn AgentStore,
    /// Conversation ids by (workspace, business number, contact), per container: a contact's
    /// conversation never changes, so a known contact's message needs no read.
    pub conversation_ids: &'a TtlCache<(WorkspaceId, String, String), ConversationId>,
    pub queue: &'a dyn TriggerQueue,
    pub policies: PolicyPorts<'a>,
    pub clock: &'a dyn Clock,
    /// Messages taken, by type.
    pub metrics: &'a dyn crate::metrics::Metrics,
}

pub async fn handle_event(ports: &InboundPorts<'_>, event: WebhookEvent) -> Result<(), AppError> {
    match event {
        WebhookEvent::Message(message) => receive_message(ports, message).await,
        WebhookEvent::Amend(amendment) => amend(ports, amendment).await,
        WebhookEvent::Status(update) => apply_status(ports, update).await,
    }
}

/// One write (conversation, message and wamid claim together) and one queue send per message.
/// A redelivered wamid stores nothing but is queued again: the queue drops it within its
/// de-duplication window, and the worker answers nothing twice after it.
async fn receive_message(ports: &InboundPorts<'_>, inbound: InboundMessage) -> Result<(), AppError> {
    let Some(number) = ports.numbers.get_number(&inbound.phone_number_id).await? else {
        tracing::warn!(phone_number_id = %inbound.phone_number_id, "message for a number nobody registered; acknowledged and dropped");
        return Ok(());
    };
    ports.metrics.record(crate::metrics::Measurement::inbound(&number.workspace_id, inbound.kind.label()));
    let contact_key = (number.workspace_id.clone(), number.phone_number_id.clone(), inbound.from.clone());
    if let Some(conversation_id) = ports.conversation_ids.fresh(&contact_key, CONVERSATION_ID_TTL) {
        if known_contact(ports, &number, &conversation_id, &inbound).await? {
            return Ok(());
        }
    }
    let workspace_id = number.workspace_id.clone();
    let mut verdict: Option<Verdict> = None;
    let mut retries = Retries::with_attempts("the conversation", 8);
    loop {
        retries.another().await.map_err(|busy| AppError::Internal(format!("{busy}; Meta will redeliver")))?;
        let now = ports.clock.now();
        let existing =
            ports.conversations.find_conversation(&workspace_id, &number.phone_number_id, &inbound.from).await?;
        let sent_at = inbound.sent_at.map(|at| at.min(now)).unwrap_or(now);
        if existing.is_none() && erased_after(ports, &workspace_id, &inbound.from, sent_at).await? {
            tracing::info!(wamid = %inbound.wamid, "a message from before the contact's erasure; dropped");
            return Ok(());
        }
        let revised = existing.as_ref().map(|current| current.revised(now));
        let Some(mut conversation) = revised.or_else(|| new_conversation(&number, &inbound, now)) else {
            tracing::warn!(phone_number_id = %number.phone_number_id, "inbound message but the number has no default agent; stored nowhere");
            return Ok(());
        };
        conversation.contact_wrote(sent_at, preview(&inbound.text), inbound.contact_name.as_deref());
        let expected = existing.as_ref().map(|c| c.revision);
        // Checked once, not on every retry of a lost write.
        if verdict.is_none() {
            verdict = Some(check(&ports.policies, &workspace_id, &conversation.id, Flow::Input, &inbound.text).await?);
        }
        let checked = verdict.as_ref().ok_or_else(|| AppError::Internal("policy verdict missing".into()))?;
        let message = inbound_message(&conversation.id, &inbound, checked, sent_at);
        match ports.conversations.save_inbound(&conversation, expected, &message).await {
            Ok(()) => {
                ports.conversation_ids.insert(contact_key, conversation.id.clone());
                return stored(ports, &workspace_id, &conversation.id, &inbound, &message, checked).await;
            }
            Err(StoreError::Conflict(_)) if ports.conversations.inbound_seen(&inbound.wamid).await? => {
                tracing::info!(wamid = %inbound.wamid, "redelivered message; already stored");
                return enqueue(ports, &workspace_id, &conversation.id, &inbound.wamid).await;
            }
            Err(StoreError::Conflict(_)) => continue,
            Err(err) => return Err(err.into()),
        }
    }
}

/// A status for a reply part whose answer was lost: Meta has it, so it is recorded as sent (with
/// its wamid) and the worker, waiting for this, sends the rest instead of sending it again.
/// Whether it confirmed one.
async fn confirm_part(ports: &InboundPorts<'_>, update: &StatusUpdate, callback: &str) -> Result<bool, AppError> {
    let Some((conversation_id, message_id, index)) = UnconfirmedPart::parse_callback(callback) else {
        return Ok(false);
    };
    let Some(number) = ports.numbers.get_number(&update.phone_number_id).await? else { return Ok(false) };
    // The conversation must be the number's workspace's: a callback names ids, not rights.
    if ports.conversations.get_conversation(&number.workspace_id, &conversation_id).await?.is_none() {
        return Ok(false);
    }
    let Some(mut message) = ports.conversations.get_message(&conversation_id, &message_id).await? else {
        return Ok(false);
    };
    let awaited = message.unconfirmed_part.is_some_and(|part| part.index == index);
    if !awaited || message.sent_parts.len() != index as usize {
        return Ok(false);
    }
    tracing::info!(message = %message_id, part = index, "a part whose answer was lost is confirmed by its status");
    message.sent_parts.push(update.wamid.clone());
    message.wamid = message.sent_parts.first().cloned();
    message.unconfirmed_part = None;
    ports.conversations.record_delivery(&number.workspace_id, &message).await?;
    Ok(true)
}

/// Whether the contact was erased after `sent_at`: Meta redelivering what they wrote before
/// their erasure must not bring them back.
async fn erased_after(
    ports: &InboundPorts<'_>,
    workspace_id: &WorkspaceId,
    wa_id: &str,
    sent_at: time::OffsetDateTime,
) -> Result<bool, AppError> {
    let erased = ports.contacts.erased_at(workspace_id, wa_id).await?;
    Ok(erased.is_some_and(|erased_at| sent_at <= erased_at))
}

/// A (business number, contact)'s conversation never changes (until the contact is erased): its
/// id is kept per container.
const CONVERSATION_ID_TTL: Duration = Duration::from_secs(3600);

/// A contact this container has seen: the message in one conditional write, with no read before
/// it. `false` when that write could not be made (a redelivery, a message older than the last, a
/// blocked one): the careful path below decides.
async fn known_contact(
    ports: &InboundPorts<'_>,
    number: &WhatsAppNumber,
    conversation_id: &ConversationId,
    inbound: &InboundMessage,
) -> Result<bool, AppError> {
    let workspace_id = &number.workspace_id;
    let checked = check(&ports.policies, workspace_id, conversation_id, Flow::Input, &inbound.text).await?;
    if checked.blocked_by.is_some() {
        return Ok(false);
    }
    let now = ports.clock.now();
    let sent_at = inbound.sent_at.map(|at| at.min(now)).unwrap_or(now);
    let message = inbound_message(conversation_id, inbound, &checked, sent_at);
    let update =
        InboundUpdate { sent_at, preview: preview(&inbound.text), contact_name: inbound.contact_name.clone(), now };
    let target = ConversationRef { workspace_id: workspace_id.clone(), conversation_id: conversation_id.to_owned() };
    match ports.conversations.record_inbound(&target, &update, &message).await {
        Ok(()) => stored(ports, workspace_id, conversation_id, inbound, &message, &checked).await.map(|()| true),
        Err(StoreError::Conflict(_)) => Ok(false),
        Err(err) => Err(err.into()),
    }
}

fn inbound_message(
    conversation_id: &ConversationId,
    inbound: &InboundMessage,
    checked: &Verdict,
    sent_at: time::OffsetDateTime,
) -> Message {
    Message {
        error: checked.blocked_by.as_deref().map(MessageError::blocked_by),
        text: Some(inbound.text.clone()),
        wamid: Some(inbound.wamid.clone()),
        media: inbound.media.as_deref().cloned(),
        ..Message::new(conversation_id, Direction::Inbound, inbound.kind.clone(), DeliveryStatus::Received, sent_at)
    }
}

/// After the one write that stored it: its violations (only this delivery records them), its
/// event, and its trigger — unless it was blocked or is a WhatsApp notice, which are not answered.
async fn stored(
    ports: &InboundPorts<'_>,
    workspace_id: &WorkspaceId,
    conversation_id: &ConversationId,
    inbound: &InboundMessage,
    message: &Message,
    checked: &Verdict,
) -> Result<(), AppError> {
    record(&ports.policies, workspace_id, conversation_id, checked).await?;
    if message.error.is_some() || inbound.kind == MessageKind::System {
        return Ok(());
    }
    let event = MessageReceived {
        message_id: message.id.clone(),
        wamid: inbound.wamid.clone(),
        from: format!("+{}", inbound.from),
        kind: inbound.kind.as_str().to_owned(),
        text: inbound.text.clone(),
    };
    emit_quietly(&ports.policies.events, workspace_id, conversation_id, &event).await;
    enqueue(ports, workspace_id, conversation_id, &inbound.wamid).await
}

/// A reaction, edit or revoke: recorded on the message it is about, if that message is the same
/// contact's conversation with this workspace (a contact cannot touch anyone else's messages).
/// An edit the agent has not answered yet is what it reads; a deleted message it never reads. A
/// reaction is answered only when the conversation's agent says so.
async fn amend(ports: &InboundPorts<'_>, event: InboundAmendment) -> Result<(), AppError> {
    let Some(number) = ports.numbers.get_number(&event.phone_number_id).await? else { return Ok(()) };
    let workspace_id = &number.workspace_id;
    let target = match ports.conversations.find_inbound(&event.target_wamid).await? {
        Some(target) => Some(target),
        // Edits and deletes rewrite words: only the contact's own. A reaction to the business's
        // message is the contact's too, and changes none of its words.
        None if !event.amendment.may_touch_the_business_s_message() => None,
        None => ports
            .conversations
            .find_outbound(&event.target_wamid)
            .await?
            .filter(|found| found.workspace_id == *workspace_id)
            .map(|found| MessageRef { conversation_id: found.conversation_id, message_id: found.message_id }),
    };
    let conversation = match &target {
        Some(target) => ports.conversations.get_conversation(workspace_id, &target.conversation_id).await?,
        None => None,
    };
    let (Some(target), Some(conversation)) = (target, conversation) else {
        tracing::info!(wamid = %event.wamid, "a reaction, edit or delete of a message we do not hold; ignored");
        return Ok(());
    };
    let same_contact = conversation.party().is_some_and(|(phone_number_id, contact)| {
        phone_number_id == number.phone_number_id && contact.wa_id == event.from
    });
    if !same_contact {
        tracing::warn!(wamid = %event.wamid, "a contact tried to change a message of another conversation; ignored");
        return Ok(());
    }
    let amendment = match event.amendment {
        Amendment::Edited { text, .. } => {
            // The new text reaches the agent and analyses as the old one would: checked first.
            let verdict = check(&ports.policies, workspace_id, &conversation.id, Flow::Input, &text).await?;
            record(&ports.policies, workspace_id, &conversation.id, &verdict).await?;
            Amendment::Edited { text, blocked_by: verdict.blocked_by }
        }
        other => other,
    };
    ports.conversations.amend_message(&target, &amendment).await?;
    let Amendment::Reaction(Some(emoji)) = &amendment else { return Ok(()) };
    let agent = ports.agents.get_agent(workspace_id, &conversation.agent_id).await?;
    if !agent.is_some_and(|agent| agent.answer_reactions) {
        return Ok(());
    }
    let turn = InboundMessage {
        phone_number_id: event.phone_number_id,
        from: event.from,
        contact_name: None,
        wamid: event.wamid,
        sent_at: None,
        kind: MessageKind::Reaction,
        text: crate::agents::text::reacted(emoji),
        media: None,
    };
    Box::pin(receive_message(ports, turn)).await
}

fn new_conversation(
    number: &WhatsAppNumber,
    inbound: &InboundMessage,
    now: time::OffsetDateTime,
) -> Option<Conversation> {
    let agent_id = number.default_agent_id.clone()?;
    let contact = Contact {
        wa_id: inbound.from.clone(),
        phone_number: format!("+{}", inbound.from),
        name: inbound.contact_name.clone(),
    };
    Some(Conversation::start(number, contact, agent_id, now))
}

async fn enqueue(
    ports: &InboundPorts<'_>,
    workspace_id: &WorkspaceId,
    conversation_id: &ConversationId,
    wamid: &str,
) -> Result<(), AppError> {
    let trigger = Trigger::InboundMessage(Turn {
        id: wamid.to_owned(),
        workspace_id: workspace_id.to_owned(),
        conversation_id: conversation_id.to_owned(),
    });
    ports.queue.enqueue(&trigger).await.map_err(|err| AppError::Internal(err.to_string()))
}

async fn apply_status(ports: &InboundPorts<'_>, update: StatusUpdate) -> Result<(), AppError> {
    let mut found = ports.conversations.find_outbound(&update.wamid).await?;
    // Every part carries its callback, but only a part whose answer was lost has no pointer yet:
    // the usual status costs no read more.
    if let (None, Some(callback)) = (&found, &update.callback) {
        if confirm_part(ports, &update, callback).await? {
            found = ports.conversations.find_outbound(&update.wamid).await?;
        }
    }
    let Some(target) = found else {
        tracing::debug!(wamid = %update.wamid, "status for a message we did not send (or not yet recorded)");
        return Ok(());
    };
    let moved = ports
        .conversations
        .advance_status(&target.conversation_id, &target.message_id, update.status, update.error.as_ref())
        .await?;
    if update.status == DeliveryStatus::Failed && moved {
        tracing::warn!(wamid = %update.wamid, code = ?update.error.as_ref().map(|e| e.code), "WhatsApp reports a failed message");
        ports.conversations.mark_reply_failed(&target.workspace_id, &target.conversation_id, ports.clock.now()).await?;
    }
    tracing::debug!(wamid = %update.wamid, status = ?update.status, moved, "status");
    Ok(())
}
