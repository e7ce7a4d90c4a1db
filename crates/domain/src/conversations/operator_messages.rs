//! A person writes to the contact (typically during a takeover): text inside the 24-hour window, a
//! template at any time. The message is the agent's history when it answers again.

use crate::conversations::messaging::send_with_retry;
use crate::conversations::model::preview;
use crate::conversations::{get_conversation, ConversationPorts, ConversationRejection};
use crate::model::{
    Conversation, ConversationId, DeliveryStatus, Direction, Message, MessageKind, Principal, TemplateMessage,
};
use crate::numbers::senders::{sender_of, SenderError};
use crate::optimistic::Retries;
use crate::ports::{ConversationStore, Outbound, StoreError};
use crate::AppError;

const SEND_ATTEMPTS: u32 = 3;
/// WhatsApp's limit for one text message.
pub const MAX_TEXT_CHARS: usize = 4096;

/// What a person sends: text (at most `MAX_TEXT_CHARS`, inside the window) or a template.
#[derive(Debug)]
pub enum OperatorMessage {
    Text(String),
    Template(TemplateMessage),
}

/// Sends first, then stores: a message Meta refused is not stored (as when a conversation is
/// opened with a template), and one Meta took is stored with its wamid.
pub async fn send_operator_message(
    ports: &ConversationPorts<'_>,
    principal: &Principal,
    conversation_id: &ConversationId,
    input: OperatorMessage,
) -> Result<Message, AppError> {
    let conversation = get_conversation(ports.conversations, principal, conversation_id).await?;
    let Some((_, contact)) = conversation.party() else {
        return Err(AppError::bad_request("this conversation is API-only: there is no WhatsApp contact to write to"));
    };
    let to = contact.wa_id.clone();
    let now = ports.clock.now();
    let (outbound, mut message) = match input {
        OperatorMessage::Text(text) => {
            if !conversation.is_window_open(now) {
                return Err(ConversationRejection::WindowClosedForText.into());
            }
            let mut message =
                Message::new(&conversation.id, Direction::Outbound, MessageKind::Text, DeliveryStatus::Sent, now);
            message.text = Some(text.clone());
            (Outbound::Text { to, body: text, callback: None }, message)
        }
        OperatorMessage::Template(chosen) => {
            let mut message =
                Message::new(&conversation.id, Direction::Outbound, MessageKind::Template, DeliveryStatus::Sent, now);
            message.template = Some(chosen.name.clone());
            (Outbound::Template { to, template: chosen }, message)
        }
    };
    message.operator_key = Some(principal.key_prefix.clone());
    let from = sender_of(&ports.senders, &conversation).await.map_err(|err| match err {
        SenderError::Refused(why) => AppError::Conflict(why),
        SenderError::Unavailable(why) => AppError::Internal(why),
    })?;
    let wamid = send_with_retry(ports.whatsapp, &from, &outbound, SEND_ATTEMPTS).await.map_err(AppError::WhatsApp)?;
    message.wamid = Some(wamid.clone());
    message.sent_parts = vec![wamid];
    store(ports.conversations, principal, &conversation, &message).await?;
    Ok(message)
}

/// The message with the conversation's new preview; delivery statuses find it by its wamid.
async fn store(
    conversations: &dyn ConversationStore,
    principal: &Principal,
    first: &Conversation,
    message: &Message,
) -> Result<(), AppError> {
    let mut retries = Retries::new("the conversation");
    let mut current = first.clone();
    loop {
        retries.another().await?;
        let mut updated = current.revised(message.created_at);
        updated.last_message = message.text.as_deref().or(message.template.as_deref()).map(preview);
        match conversations.save_conversation(&updated, Some(current.revision), std::slice::from_ref(message)).await {
            Ok(()) => break,
            Err(StoreError::Conflict(_)) => current = get_conversation(conversations, principal, &first.id).await?,
            Err(err) => return Err(err.into()),
        }
    }
    conversations.record_delivery(&first.workspace_id, message).await?;
    Ok(())
}
