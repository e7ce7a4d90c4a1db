use serde::Deserialize;

use crate::model::phone::normalize_e164;
use crate::model::{Page, PageRequest, Principal, WhatsAppNumber};
use crate::ports::StoreError;
use crate::{App, AppError};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewNumber {
    pub phone_number_id: String,
    pub display_number: String,
    #[serde(default)]
    pub default_agent_id: Option<String>,
}

pub fn valid_phone_number_id(value: &str) -> bool {
    !value.is_empty() && value.len() <= 32 && value.bytes().all(|b| b.is_ascii_digit())
}

pub async fn register_number(app: &App, principal: &Principal, input: NewNumber) -> Result<WhatsAppNumber, AppError> {
    let phone_number_id = input.phone_number_id.trim().to_owned();
    if !valid_phone_number_id(&phone_number_id) {
        return Err(AppError::invalid(
            "phoneNumberId",
            "must be Meta's numeric phone number id (WhatsApp Manager → API Setup)",
        ));
    }
    let display_number = normalize_e164(&input.display_number)
        .ok_or_else(|| AppError::invalid("displayNumber", "must be a phone number in E.164 form, like +15551234567"))?;
    if let Some(agent_id) = &input.default_agent_id {
        if app.store.get_agent(&principal.workspace_id, agent_id).await?.is_none() {
            return Err(AppError::invalid("defaultAgentId", "no agent with this id in the workspace"));
        }
    }
    let number = WhatsAppNumber {
        phone_number_id,
        workspace_id: principal.workspace_id.clone(),
        display_number,
        default_agent_id: input.default_agent_id,
        created_at: app.clock.now(),
    };
    match app.store.register_number(&number).await {
        Ok(()) => Ok(number),
        // Whether this or another workspace holds it is not ours to tell.
        Err(StoreError::Conflict(_)) => {
            Err(AppError::Conflict("phoneNumberId: this number is already registered".into()))
        }
        Err(err) => Err(err.into()),
    }
}

pub async fn list_numbers(
    app: &App,
    principal: &Principal,
    page: &PageRequest,
) -> Result<Page<WhatsAppNumber>, AppError> {
    Ok(app.store.list_numbers(&principal.workspace_id, page).await?)
}

pub async fn remove_number(app: &App, principal: &Principal, phone_number_id: &str) -> Result<(), AppError> {
    if app.store.remove_number(&principal.workspace_id, phone_number_id).await? {
        Ok(())
    } else {
        Err(AppError::not_found(&format!("WhatsApp number `{phone_number_id}`")))
    }
}

/// The workspace's number named by `from` (its phone number id or its display number), or its
/// only number when `from` is absent.
pub async fn resolve_sender(app: &App, principal: &Principal, from: Option<&str>) -> Result<WhatsAppNumber, AppError> {
    let all = PageRequest { limit: crate::model::page::MAX_LIMIT, cursor: None };
    let numbers = app.store.list_numbers(&principal.workspace_id, &all).await?.items;
    match from {
        Some(from) => {
            let display = normalize_e164(from);
            numbers
                .into_iter()
                .find(|n| n.phone_number_id == from.trim() || Some(&n.display_number) == display.as_ref())
                .ok_or_else(|| AppError::invalid("fromNumber", "is not a WhatsApp number registered to this workspace"))
        }
        None => {
            let mut numbers = numbers.into_iter();
            match (numbers.next(), numbers.next()) {
                (Some(only), None) => Ok(only),
                (None, _) => Err(AppError::invalid(
                    "fromNumber",
                    "this workspace has no WhatsApp number yet: register one first",
                )),
                _ => Err(AppError::invalid("fromNumber", "is required: this workspace has several WhatsApp numbers")),
            }
        }
    }
}
