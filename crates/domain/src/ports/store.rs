//! What every store shares: its error, the clock, and `Store`, all the table's ports in one.

use time::OffsetDateTime;

use super::{
    AgentStore, ApiKeyStore, AuditLog, ContactStore, ConversationStore, DeadLetterStore, DueWork, EventStore,
    KnowledgeStore, NumberStore, PolicyStore, PromptStore, RateLimiter, RetentionStore, SessionStore, TestSuiteStore,
    ToolCallStore, ToolStore, UsageStore, WorkspaceStore,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A conditional write lost: the thing already exists or changed underneath.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The store could not be reached or refused the request.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// An item did not have the shape this code expects.
    #[error("stored item is malformed: {0}")]
    Corrupt(String),
    /// A pagination cursor that this store did not issue.
    #[error("cursor is not valid")]
    BadCursor,
}

/// Everything the use cases keep in the table.
pub trait Store:
    WorkspaceStore
    + ApiKeyStore
    + PromptStore
    + NumberStore
    + AgentStore
    + ConversationStore
    + PolicyStore
    + EventStore
    + ToolStore
    + ToolCallStore
    + DueWork
    + SessionStore
    + UsageStore
    + RateLimiter
    + DeadLetterStore
    + AuditLog
    + ContactStore
    + RetentionStore
    + KnowledgeStore
    + TestSuiteStore
{
}
impl<
        T: WorkspaceStore
            + ApiKeyStore
            + PromptStore
            + NumberStore
            + AgentStore
            + ConversationStore
            + PolicyStore
            + ToolStore
            + ToolCallStore
            + DueWork
            + EventStore
            + SessionStore
            + UsageStore
            + RateLimiter
            + DeadLetterStore
            + AuditLog
            + ContactStore
            + RetentionStore
            + KnowledgeStore
            + TestSuiteStore,
    > Store for T
{
}

pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
}
