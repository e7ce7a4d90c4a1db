//! WhatsApp numbers as the API shows them (the Wassist seed's shape, camelCase).

use serde::Serialize;

use crate::model::{timestamp, AgentId, WhatsAppNumber};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NumberView {
    pub phone_number_id: String,
    pub display_number: String,
    pub default_agent_id: Option<AgentId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waba_id: Option<String>,
    pub created_at: String,
}

impl From<&WhatsAppNumber> for NumberView {
    fn from(number: &WhatsAppNumber) -> Self {
        Self {
            phone_number_id: number.phone_number_id.clone(),
            display_number: number.display_number.clone(),
            default_agent_id: number.default_agent_id.clone(),
            waba_id: number.waba_id.clone(),
            created_at: timestamp::format(number.created_at),
        }
    }
}
