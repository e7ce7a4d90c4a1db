//! Work that falls due at a time: follow-ups, analyses after a silence, and tool calls whose
//! approval ran out. The scheduler reads what is due and leases each entry before it queues it,
//! so overlapping runs queue it once; how the entries are indexed (and sharded) is the adapter's.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::model::{ConversationId, MessageId, WorkspaceId};
use crate::ports::StoreError;

/// The kinds of due work, in the order the scheduler takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueKind {
    FollowUp,
    Analysis,
    ApprovalExpiry,
}

impl DueKind {
    pub const ALL: [DueKind; 3] = [DueKind::FollowUp, DueKind::Analysis, DueKind::ApprovalExpiry];
}

/// One entry that is due.
#[derive(Debug, Clone, PartialEq)]
pub enum Due {
    FollowUp(DueFollowUp),
    Analysis(DueAnalysis),
    ApprovalExpiry(DueApproval),
}

#[async_trait]
pub trait DueWork: Send + Sync {
    /// Entries of `kind` due by `now`, earliest first, at most `limit` from each part of the index.
    async fn due(&self, kind: DueKind, now: OffsetDateTime, limit: u32) -> Result<Vec<Due>, StoreError>;
    /// Moves the entry to `until` if it is still as observed; `false` when another run moved it.
    async fn lease(&self, due: &Due, until: OffsetDateTime) -> Result<bool, StoreError>;
}

/// A tool call awaiting approval, as the scheduled-work index shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct DueApproval {
    pub workspace_id: WorkspaceId,
    pub conversation_id: ConversationId,
    pub message_id: MessageId,
    pub expires_at: OffsetDateTime,
}

/// A conversation whose analysis is due after a silence.
#[derive(Debug, Clone, PartialEq)]
pub struct DueAnalysis {
    pub workspace_id: WorkspaceId,
    pub conversation_id: ConversationId,
    pub due_at: OffsetDateTime,
}

/// A conversation whose follow-up is due, as the follow-up index shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct DueFollowUp {
    pub workspace_id: WorkspaceId,
    pub conversation_id: ConversationId,
    pub due_at: OffsetDateTime,
    /// The follow-up this would be (1, 2, …).
    pub attempt: u32,
}
