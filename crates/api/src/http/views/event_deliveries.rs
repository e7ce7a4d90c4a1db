//! An outbound event's delivery, as the delivery log shows it.

use serde::Serialize;

use crate::model::{timestamp, ConversationId, EventId};
use colloquy_domain::events::model::Event;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventDeliveryView {
    /// The event's id: the `X-Colloquy-Delivery` header of every try.
    pub id: EventId,
    /// The event's type (`message.received`, `webhook.disabled`…).
    pub event: &'static str,
    pub conversation_id: Option<ConversationId>,
    pub created_at: String,
    /// `pending`, `delivered`, `failed` or `held`.
    pub status: &'static str,
    pub attempts: u32,
    pub last_status_code: Option<u16>,
    pub last_error: Option<String>,
    pub last_attempt_at: Option<String>,
    pub replayed_at: Option<String>,
    /// The prefix of the key that last replayed it.
    pub replayed_by: Option<String>,
}

impl From<&Event> for EventDeliveryView {
    fn from(event: &Event) -> Self {
        let delivery = &event.delivery;
        Self {
            id: event.id.clone(),
            event: event.kind.as_str(),
            conversation_id: event.conversation_id.clone(),
            created_at: timestamp::format(event.created_at),
            status: delivery.status.as_str(),
            attempts: delivery.attempts,
            last_status_code: delivery.last_status_code,
            last_error: delivery.last_error.clone(),
            last_attempt_at: delivery.last_attempt_at.map(timestamp::format),
            replayed_at: delivery.replayed_at.map(timestamp::format),
            replayed_by: delivery.replayed_by.clone(),
        }
    }
}
