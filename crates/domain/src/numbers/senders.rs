//! Who a message is sent as: the conversation's business number, checked at send time to still
//! belong to the conversation's workspace, with that number's own access token.

use crate::model::{Conversation, WorkspaceId};
use crate::ports::{NumberStore, Secret, Sender, TokenVault};

#[derive(Debug, thiserror::Error)]
pub enum SenderError {
    /// Retrying cannot help: the number left the workspace, or has no token.
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Unavailable(String),
}

/// Where a sender is looked up: the number (cached), its token (cached), the deployment's own.
#[derive(Clone, Copy)]
pub struct SenderPorts<'a> {
    pub numbers: &'a dyn NumberStore,
    pub vault: &'a dyn TokenVault,
    pub default_token: Option<&'a Secret>,
}

/// The sender of a conversation's messages: its business number, if it has one.
pub async fn sender_of(ports: &SenderPorts<'_>, conversation: &Conversation) -> Result<Sender, SenderError> {
    let Some((phone_number_id, _)) = conversation.party() else {
        return Err(SenderError::Refused("an API-only conversation has no WhatsApp number to send from".into()));
    };
    sender(ports, &conversation.workspace_id, phone_number_id).await
}

pub async fn sender(
    ports: &SenderPorts<'_>,
    workspace_id: &WorkspaceId,
    phone_number_id: &str,
) -> Result<Sender, SenderError> {
    let number =
        ports.numbers.get_number(phone_number_id).await.map_err(|err| SenderError::Unavailable(err.to_string()))?;
    let Some(number) = number.filter(|number| number.workspace_id == *workspace_id) else {
        return Err(SenderError::Refused(
            "the business number is no longer registered to this workspace; nothing was sent".to_owned(),
        ));
    };
    let token = match &number.token_ref {
        Some(reference) => {
            ports.vault.token(reference).await.map_err(|err| SenderError::Unavailable(err.to_string()))?
        }
        None => ports.default_token.cloned().ok_or_else(|| {
            SenderError::Refused("the business number has no access token: register it again with its token".into())
        })?,
    };
    Ok(Sender { phone_number_id: number.phone_number_id, token, workspace_id: number.workspace_id })
}
