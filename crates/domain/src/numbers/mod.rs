//! Business numbers: registered with Meta's phone number id (checked with Meta), listed, removed;
//! and who sends as a conversation's number (`senders`), and its approved templates (`templates`).

pub mod model;
pub mod port;
pub mod senders;
pub mod template;
pub mod templates;

use crate::model::phone::normalize_e164;
use crate::model::values::OutOfRange;
use crate::model::{AgentId, Page, PageRequest, Principal, WhatsAppNumber};
use crate::ports::{AgentStore, Clock, GraphError, NumberStore, Secret, StoreError, TokenVault, WhatsApp};
use crate::AppError;

/// The ports registering and removing a number use.
#[derive(Clone, Copy)]
pub struct NumberPorts<'a> {
    /// Read fresh: a number another container removed a moment ago may be registered again.
    pub numbers: &'a dyn NumberStore,
    /// A number's default agent must exist.
    pub agents: &'a dyn AgentStore,
    /// Where a number's own access token is kept.
    pub vault: &'a dyn TokenVault,
    /// Meta says whether the token sees the number.
    pub whatsapp: &'a dyn WhatsApp,
    pub clock: &'a dyn Clock,
    /// The deployment's own token, for numbers registered without one.
    pub default_token: Option<&'a Secret>,
}

/// A number to register, its values parsed (the API's `POST /api/v1/whatsapp-numbers/` body).
#[derive(Debug)]
pub struct NewNumber {
    /// Meta's numeric phone number id.
    pub phone_number_id: String,
    /// In E.164 form.
    pub display_number: String,
    pub default_agent_id: Option<AgentId>,
    /// A system-user token of the WhatsApp Business Account that holds the number: proves
    /// ownership at registration, then sends the number's messages.
    pub access_token: Option<Secret>,
    /// The WhatsApp Business Account that holds the number (digits): the console offers its
    /// approved templates when a conversation's 24-hour window is closed.
    pub waba_id: Option<String>,
}

pub const MAX_TOKEN_CHARS: usize = 1024;

pub fn valid_phone_number_id(value: &str) -> bool {
    !value.is_empty() && value.len() <= 32 && value.bytes().all(|b| b.is_ascii_digit())
}

/// An access token as a caller pastes it: trimmed, printable ASCII, at most `MAX_TOKEN_CHARS`;
/// empty is none.
pub fn parse_access_token(text: &str) -> Result<Option<Secret>, OutOfRange> {
    match text.trim() {
        "" => Ok(None),
        token if token.chars().count() > MAX_TOKEN_CHARS || !token.bytes().all(|b| b.is_ascii_graphic()) => {
            Err(OutOfRange::new("is not an access token"))
        }
        token => Ok(Some(Secret(token.to_owned()))),
    }
}

/// Why a number cannot be registered, or a conversation not started from it, as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberRejection {
    #[error("no agent with this id in the workspace")]
    UnknownDefaultAgent,
    #[error("is required: a system-user access token of the WhatsApp Business Account that holds this number")]
    AccessTokenRequired,
    #[error("{}", if *.own {
        "Meta does not show this phone number id to this token: use a token of the WhatsApp Business Account that holds the number"
    } else {
        "Meta does not show this phone number id to this deployment's WhatsApp token: send the accessToken of the account that holds it"
    })]
    NotShownToToken { own: bool },
    #[error("does not match the number Meta shows for this phone number id")]
    DisplayNumberMismatch,
    /// The number to send from, as named or as chosen (`fromNumber`).
    #[error("{0}")]
    Sender(String),
}

impl From<NumberRejection> for AppError {
    fn from(rejection: NumberRejection) -> Self {
        Self::Rejected(rejection.into())
    }
}

pub async fn register_number(
    ports: &NumberPorts<'_>,
    principal: &Principal,
    input: NewNumber,
) -> Result<WhatsAppNumber, AppError> {
    let NewNumber { phone_number_id, display_number, default_agent_id, access_token, waba_id } = input;
    if let Some(agent_id) = &default_agent_id {
        if ports.agents.get_agent(&principal.workspace_id, agent_id).await?.is_none() {
            return Err(NumberRejection::UnknownDefaultAgent.into());
        }
    }
    let token = owners_token(ports, &phone_number_id, &display_number, access_token).await?;
    if ports.numbers.get_number(&phone_number_id).await?.is_some() {
        return Err(taken());
    }
    let token_ref = match &token {
        Some(token) => Some(
            ports
                .vault
                .store_token(&principal.workspace_id, &phone_number_id, token)
                .await
                .map_err(|err| AppError::Internal(err.to_string()))?,
        ),
        None => None,
    };
    let number = WhatsAppNumber {
        phone_number_id,
        workspace_id: principal.workspace_id.clone(),
        display_number,
        default_agent_id,
        waba_id,
        token_ref,
        created_at: ports.clock.now(),
    };
    match ports.numbers.register_number(&number).await {
        Ok(()) => Ok(number),
        Err(err) => {
            if let Some(reference) = &number.token_ref {
                if let Err(cleanup) = ports.vault.delete_token(reference).await {
                    tracing::warn!(error = %cleanup, "token of a number that could not be registered is left in the vault");
                }
            }
            match err {
                StoreError::Conflict(_) => Err(taken()),
                other => Err(other.into()),
            }
        }
    }
}

/// Whether this or another workspace holds it is not ours to tell.
fn taken() -> AppError {
    AppError::Conflict("phoneNumberId: this number is already registered".into())
}

/// Proves the caller owns the number: Meta shows the number to its token, with the same display
/// number. Without a token, a deployment with a default token (single tenant) checks the number
/// with that token the same way, and stores no token for it.
async fn owners_token(
    ports: &NumberPorts<'_>,
    phone_number_id: &str,
    display_number: &str,
    access_token: Option<Secret>,
) -> Result<Option<Secret>, AppError> {
    let (token, own) = match access_token {
        Some(token) => (token, true),
        None => match ports.default_token {
            Some(default) => (default.clone(), false),
            None => return Err(NumberRejection::AccessTokenRequired.into()),
        },
    };
    let info = match ports.whatsapp.number_info(phone_number_id, &token).await {
        Ok(info) => info,
        Err(err @ GraphError::Api { http_status, .. }) if http_status < 500 => {
            tracing::info!(code = ?err.code(), "a number's ownership check was refused by Meta");
            return Err(NumberRejection::NotShownToToken { own }.into());
        }
        Err(err) => return Err(AppError::WhatsApp(err)),
    };
    if normalize_e164(&info.display_phone_number).as_deref() != Some(display_number) {
        return Err(NumberRejection::DisplayNumberMismatch.into());
    }
    Ok(own.then_some(token))
}

pub async fn list_numbers(
    numbers: &dyn NumberStore,
    principal: &Principal,
    page: &PageRequest,
) -> Result<Page<WhatsAppNumber>, AppError> {
    Ok(numbers.list_numbers(&principal.workspace_id, page).await?)
}

pub async fn remove_number(
    ports: &NumberPorts<'_>,
    principal: &Principal,
    phone_number_id: &str,
) -> Result<(), AppError> {
    let number = ports.numbers.get_number(phone_number_id).await?.filter(|n| n.workspace_id == principal.workspace_id);
    let not_found = || AppError::not_found(&format!("WhatsApp number `{phone_number_id}`"));
    let number = number.ok_or_else(not_found)?;
    if !ports.numbers.remove_number(&principal.workspace_id, phone_number_id).await? {
        return Err(not_found());
    }
    if let Some(reference) = &number.token_ref {
        if let Err(err) = ports.vault.delete_token(reference).await {
            tracing::warn!(error = %err, "a removed number's token is left in the vault");
        }
    }
    Ok(())
}

/// The workspace's number named by `from` (its phone number id or its display number), or its
/// only number when `from` is absent.
/// The number a conversation is started from: the one named; else the workspace's only number;
/// else the only one whose default agent is `agent_id`. Otherwise `fromNumber` is required.
pub async fn resolve_sender(
    numbers: &dyn NumberStore,
    principal: &Principal,
    from: Option<&str>,
    agent_id: Option<&str>,
) -> Result<WhatsAppNumber, AppError> {
    let all = PageRequest { limit: crate::model::page::MAX_LIMIT, cursor: None };
    let numbers = numbers.list_numbers(&principal.workspace_id, &all).await?.items;
    match from {
        Some(from) => {
            let display = normalize_e164(from);
            numbers
                .into_iter()
                .find(|n| n.phone_number_id == from.trim() || Some(&n.display_number) == display.as_ref())
                .ok_or_else(|| sender_rejected("is not a WhatsApp number registered to this workspace"))
        }
        None if numbers.len() > 1 => {
            let mut answering = numbers
                .into_iter()
                .filter(|n| n.default_agent_id.is_some() && n.default_agent_id.as_deref() == agent_id);
            match (answering.next(), answering.next()) {
                (Some(only), None) => Ok(only),
                _ => Err(sender_rejected(
                    "is required: this workspace has several WhatsApp numbers, and not exactly one answers with this agent",
                )),
            }
        }
        None => {
            let mut numbers = numbers.into_iter();
            match (numbers.next(), numbers.next()) {
                (Some(only), None) => Ok(only),
                (None, _) => Err(sender_rejected("this workspace has no WhatsApp number yet: register one first")),
                _ => Err(sender_rejected("is required: this workspace has several WhatsApp numbers")),
            }
        }
    }
}

fn sender_rejected(why: &str) -> AppError {
    NumberRejection::Sender(why.to_owned()).into()
}
