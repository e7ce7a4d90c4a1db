//! The audit log: what people decided and changed — keys, numbers, the webhook, takeovers,
//! messages written by a person, approvals, redrives, replays, erasures, configuration — with
//! who (the key, and the console or the API) and when. Written by the one route wrapper after a
//! change succeeds, so no handler can forget it; read by admins of the workspace.

pub mod port;

use time::OffsetDateTime;

use crate::model::{Page, PageRequest, Principal, WorkspaceId};
use crate::AppError;

pub use port::AuditLog;

/// How long an entry is kept.
pub const KEPT_DAYS: i64 = 365;
/// A target (an id, a name) is kept this long at most.
pub const MAX_TARGET_CHARS: usize = 200;

/// Where a person acted from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Api,
    Console,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Api => "api",
            Via::Console => "console",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "api" => Some(Via::Api),
            "console" => Some(Via::Console),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// Time-ordered: the newest sort last.
    pub id: String,
    pub workspace_id: WorkspaceId,
    pub at: OffsetDateTime,
    /// The prefix of the key that acted (a console session's key too).
    pub key_prefix: String,
    pub via: Via,
    /// What was done: `api_key.created`, `conversation.taken_over`, `tool_call.approved`…
    pub action: String,
    /// What it was done to: the id in the path, or the id of what was created.
    pub target: Option<String>,
}

impl AuditEntry {
    pub fn new(
        workspace_id: &WorkspaceId,
        key_prefix: &str,
        via: Via,
        action: &str,
        target: Option<&str>,
        at: OffsetDateTime,
    ) -> Self {
        Self {
            id: crate::model::ids::new_id(),
            workspace_id: workspace_id.clone(),
            at,
            key_prefix: key_prefix.to_owned(),
            via,
            action: action.to_owned(),
            target: target.map(|t| t.chars().take(MAX_TARGET_CHARS).collect()),
        }
    }
}

/// Records an entry, logging instead of failing: the change it records has been made, and an
/// error now would make the caller retry a change that succeeded.
pub async fn record(log: &dyn AuditLog, entry: &AuditEntry) {
    if let Err(err) = log.record_audit(entry).await {
        tracing::error!(error = %err, action = %entry.action, workspace = %entry.workspace_id, "audit entry not recorded");
    }
}

/// The workspace's entries, newest first.
pub async fn list(log: &dyn AuditLog, principal: &Principal, page: &PageRequest) -> Result<Page<AuditEntry>, AppError> {
    Ok(log.list_audit(&principal.workspace_id, page).await?)
}
