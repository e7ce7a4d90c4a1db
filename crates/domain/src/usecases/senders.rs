//! Who a message is sent as: the conversation's business number, checked at send time to still
//! belong to the conversation's workspace, with that number's own access token.

use std::time::Duration;

use crate::model::{Conversation, WorkspaceId};
use crate::ports::{NumberStore, Secret, Sender};
use crate::App;

/// Tokens are re-read from the vault after this, so a replaced token takes effect.
const TOKEN_CACHE_TTL: Duration = Duration::from_secs(300);

#[derive(Debug, thiserror::Error)]
pub enum SenderError {
    /// Retrying cannot help: the number left the workspace, or has no token.
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Unavailable(String),
}

/// The sender of a conversation's messages: its business number, if it has one.
pub async fn sender_of(app: &App, conversation: &Conversation) -> Result<Sender, SenderError> {
    let Some((phone_number_id, _)) = conversation.party() else {
        return Err(SenderError::Refused("an API-only conversation has no WhatsApp number to send from".into()));
    };
    sender(app, &conversation.workspace_id, phone_number_id).await
}

pub async fn sender(app: &App, workspace_id: &WorkspaceId, phone_number_id: &str) -> Result<Sender, SenderError> {
    let number =
        app.numbers.get_number(phone_number_id).await.map_err(|err| SenderError::Unavailable(err.to_string()))?;
    let Some(number) = number.filter(|number| number.workspace_id == *workspace_id) else {
        return Err(SenderError::Refused(
            "the business number is no longer registered to this workspace; nothing was sent".to_owned(),
        ));
    };
    let token = match &number.token_ref {
        Some(reference) => token(app, reference).await?,
        None => app.default_token.clone().ok_or_else(|| {
            SenderError::Refused("the business number has no access token: register it again with its token".into())
        })?,
    };
    Ok(Sender { phone_number_id: number.phone_number_id, token })
}

async fn token(app: &App, reference: &str) -> Result<Secret, SenderError> {
    let load = async { app.vault.token(reference).await.map(Some) };
    match app.tokens.get_or_load(reference.to_owned(), TOKEN_CACHE_TTL, load).await {
        Ok(Some(token)) => Ok(token),
        Ok(None) => Err(SenderError::Refused("the business number's token is missing".into())),
        Err(err) => Err(SenderError::Unavailable(err.to_string())),
    }
}
