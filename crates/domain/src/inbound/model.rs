//! What a contact's WhatsApp sends, once Meta's webhook payload is read (`colloquy_api::meta_webhook`
//! parses it): a message, a reaction/edit/revoke of one, or a delivery status.

use time::OffsetDateTime;

use crate::model::{Amendment, DeliveryStatus, MediaRef, MessageError, MessageKind};

#[derive(Debug, Clone, PartialEq)]
pub struct InboundMessage {
    pub phone_number_id: String,
    pub from: String,
    pub contact_name: Option<String>,
    pub wamid: String,
    pub sent_at: Option<OffsetDateTime>,
    /// Meta's `type`.
    pub kind: MessageKind,
    /// What the message says, as text the agent can read.
    pub text: String,
    /// Boxed: most messages have none, and an event is moved around whole.
    pub media: Option<Box<MediaRef>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatusUpdate {
    pub phone_number_id: String,
    pub wamid: String,
    pub status: DeliveryStatus,
    pub error: Option<MessageError>,
    /// The `biz_opaque_callback_data` the message was sent with: which reply part it is.
    pub callback: Option<String>,
}

/// A contact reacting to, editing or deleting a message they or the business sent.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundAmendment {
    pub phone_number_id: String,
    pub from: String,
    /// The wamid of the reaction, edit or revoke itself.
    pub wamid: String,
    /// The message it is about.
    pub target_wamid: String,
    pub amendment: Amendment,
}

#[derive(Debug, Clone, PartialEq)]
pub enum WebhookEvent {
    Message(InboundMessage),
    Amend(InboundAmendment),
    Status(StatusUpdate),
}
