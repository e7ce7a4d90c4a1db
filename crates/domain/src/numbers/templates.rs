//! The approved templates a conversation's business number may open a closed window with.

use crate::model::Conversation;
use crate::numbers::senders::{sender, SenderPorts};
use crate::ports::{TemplateSummary, WhatsApp};

/// What the number's account offers: none for an API conversation or a number registered
/// without its `wabaId`; why not when Meta could not be asked.
pub async fn for_conversation(
    senders: &SenderPorts<'_>,
    whatsapp: &dyn WhatsApp,
    conversation: &Conversation,
) -> Result<Vec<TemplateSummary>, String> {
    let Some((phone_number_id, _)) = conversation.party() else { return Ok(Vec::new()) };
    let number = senders.numbers.get_number(phone_number_id).await.map_err(|err| err.to_string())?;
    let Some(waba_id) = number.and_then(|number| number.waba_id) else { return Ok(Vec::new()) };
    let from = sender(senders, &conversation.workspace_id, phone_number_id).await.map_err(|err| err.to_string())?;
    whatsapp.templates(&from, &waba_id).await.map_err(|err| err.to_string())
}
