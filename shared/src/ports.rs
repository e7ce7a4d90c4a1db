//! The ports: what the use cases need from the outside world, as traits.
//! Adapters in `adapters` implement them on DynamoDB, SQS and the system clock; `ManualClock`
//! is for tests, where time must be controlled.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::model::{ApiKey, Page, PageRequest, Prompt, PromptVersion, Workspace};

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

#[async_trait]
pub trait WorkspaceStore: Send + Sync {
    /// Creates the workspace and its first key in one atomic write.
    async fn create_workspace(&self, workspace: &Workspace, first_key: &ApiKey, key_hash: &str) -> Result<(), StoreError>;
    async fn get_workspace(&self, id: &str) -> Result<Option<Workspace>, StoreError>;
}

#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    async fn find_key_by_hash(&self, hash: &str) -> Result<Option<ApiKey>, StoreError>;
    /// Fails with `Conflict` when the workspace already has a key with this prefix.
    async fn insert_key(&self, key: &ApiKey, hash: &str) -> Result<(), StoreError>;
    async fn list_keys(&self, workspace_id: &str, page: &PageRequest) -> Result<Page<ApiKey>, StoreError>;
    /// Deletes the key; `false` when the workspace has no key with this prefix.
    async fn delete_key(&self, workspace_id: &str, prefix: &str) -> Result<bool, StoreError>;
}

/// Everything the use cases keep in the table.
pub trait Store: WorkspaceStore + ApiKeyStore + PromptStore {}
impl<T: WorkspaceStore + ApiKeyStore + PromptStore> Store for T {}

/// What wakes the agent worker. Carries ids, never content: the worker reads state from the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Trigger {
    /// Unique per cause (an inbound wamid, an operator prompt, a follow-up attempt); the queue
    /// drops a second trigger with the same id within its de-duplication window.
    pub id: String,
    pub conversation_id: String,
    pub kind: TriggerKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerKind {
    InboundMessage,
    OperatorPrompt,
    UserPrompt,
    FollowUp,
}

#[derive(Debug, thiserror::Error)]
#[error("queue unavailable: {0}")]
pub struct QueueError(pub String);

#[async_trait]
pub trait TriggerQueue: Send + Sync {
    /// Enqueues in the trigger's conversation group, so one conversation is handled in order and
    /// never twice at once.
    async fn enqueue(&self, trigger: &Trigger) -> Result<(), QueueError>;
}

pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
}

/// One atomic change to a prompt: its new state, maybe a new version, maybe a new name.
pub struct PromptWrite<'a> {
    pub prompt: &'a Prompt,
    /// `None` creates the prompt, whose name must be free; `Some(r)` updates it only if it is
    /// still at revision `r`.
    pub expected_revision: Option<u64>,
    pub version: Option<&'a PromptVersion>,
    /// The name before a rename; the new name must be free.
    pub previous_name: Option<&'a str>,
}

#[async_trait]
pub trait PromptStore: Send + Sync {
    /// All or nothing; `Conflict` when the name is taken, the revision moved, or the version exists.
    async fn save_prompt(&self, write: PromptWrite<'_>) -> Result<(), StoreError>;
    async fn get_prompt(&self, workspace_id: &str, prompt_id: &str) -> Result<Option<Prompt>, StoreError>;
    async fn find_prompt_by_name(&self, workspace_id: &str, name: &str) -> Result<Option<Prompt>, StoreError>;
    /// Oldest first; `name_contains` filters by a case-sensitive substring of the name.
    async fn list_prompts(&self, workspace_id: &str, name_contains: Option<&str>, page: &PageRequest) -> Result<Page<Prompt>, StoreError>;
    async fn get_prompt_version(&self, prompt_id: &str, version: u32) -> Result<Option<PromptVersion>, StoreError>;
    /// Newest first.
    async fn list_prompt_versions(&self, prompt_id: &str, page: &PageRequest) -> Result<Page<PromptVersion>, StoreError>;
}
