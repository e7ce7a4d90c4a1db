//! The body of `POST /api/v1/whatsapp-numbers/`.

use serde::Deserialize;

use crate::model::input::InvalidField;
use crate::model::phone::normalize_e164;
use crate::model::AgentId;
use colloquy_domain::numbers::{parse_access_token, valid_phone_number_id, NewNumber};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewNumberBody {
    pub phone_number_id: String,
    pub display_number: String,
    #[serde(default)]
    pub default_agent_id: Option<AgentId>,
    #[serde(default)]
    pub access_token: Option<String>,
    #[serde(default)]
    pub waba_id: Option<String>,
}

impl TryFrom<NewNumberBody> for NewNumber {
    type Error = InvalidField;

    fn try_from(body: NewNumberBody) -> Result<Self, InvalidField> {
        let phone_number_id = body.phone_number_id.trim().to_owned();
        if !valid_phone_number_id(&phone_number_id) {
            return Err(InvalidField::new(
                "phoneNumberId",
                "must be Meta's numeric phone number id (WhatsApp Manager → API Setup)",
            ));
        }
        let waba_id = body.waba_id.as_deref().map(str::trim).filter(|id| !id.is_empty()).map(str::to_owned);
        if waba_id.as_deref().is_some_and(|id| !valid_phone_number_id(id)) {
            return Err(InvalidField::new(
                "wabaId",
                "must be Meta's numeric WhatsApp Business Account id (WhatsApp Manager → Account tools)",
            ));
        }
        let display_number = normalize_e164(&body.display_number).ok_or_else(|| {
            InvalidField::new("displayNumber", "must be a phone number in E.164 form, like +15551234567")
        })?;
        let access_token = match body.access_token.as_deref() {
            Some(text) => parse_access_token(text).map_err(|err| err.at("accessToken"))?,
            None => None,
        };
        Ok(NewNumber {
            phone_number_id,
            display_number,
            default_agent_id: body.default_agent_id,
            access_token,
            waba_id,
        })
    }
}
