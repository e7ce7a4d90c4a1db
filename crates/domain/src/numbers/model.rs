use crate::model::ids::{AgentId, WorkspaceId};
use time::OffsetDateTime;

/// A business number on WhatsApp, registered to one workspace.
#[derive(Debug, Clone, PartialEq)]
pub struct WhatsAppNumber {
    /// Meta's id of the number: what the Graph API and webhooks name it by.
    pub phone_number_id: String,
    pub workspace_id: WorkspaceId,
    /// E.164.
    pub display_number: String,
    pub default_agent_id: Option<AgentId>,
    /// Where the number's access token is kept (`TokenVault`); `None` sends with the
    /// deployment's default token, if it has one.
    pub token_ref: Option<String>,
    /// The WhatsApp Business Account that holds the number: where its templates are listed.
    pub waba_id: Option<String>,
    pub created_at: OffsetDateTime,
}
