//! Dead letters as the API shows them.

use serde::Serialize;

use crate::model::{timestamp, ConversationId};
use colloquy_domain::dead_letters::DeadLetter;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetterView {
    pub id: String,
    /// What the trigger was for: `inbound_message`, `operator_prompt`, `user_prompt`,
    /// `tool_decision`, `follow_up`, `analysis` or `event`.
    pub kind: &'static str,
    /// The conversation it was about; none for an event delivery.
    pub conversation_id: Option<ConversationId>,
    pub reason: String,
    pub receive_count: u32,
    pub dead_at: String,
    pub redriven_at: Option<String>,
    /// The prefix of the key that redrove it.
    pub redriven_by: Option<String>,
}

impl From<&DeadLetter> for DeadLetterView {
    fn from(dead: &DeadLetter) -> Self {
        Self {
            id: dead.id.clone(),
            kind: dead.kind(),
            conversation_id: dead.conversation_id().cloned(),
            reason: dead.reason.clone(),
            receive_count: dead.receive_count,
            dead_at: timestamp::format(dead.dead_at),
            redriven_at: dead.redriven_at.map(timestamp::format),
            redriven_by: dead.redriven_by.clone(),
        }
    }
}
