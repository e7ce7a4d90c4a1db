//! Prompts and their versions.

use async_trait::async_trait;

use crate::model::{Page, PageRequest, Prompt, PromptId, PromptVersion, WorkspaceId};
use crate::ports::StoreError;

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
    async fn get_prompt(&self, workspace_id: &WorkspaceId, prompt_id: &PromptId) -> Result<Option<Prompt>, StoreError>;
    async fn find_prompt_by_name(&self, workspace_id: &WorkspaceId, name: &str) -> Result<Option<Prompt>, StoreError>;
    /// Oldest first.
    async fn list_prompts(
        &self,
        workspace_id: &WorkspaceId,
        filter: &PromptFilter<'_>,
        page: &PageRequest,
    ) -> Result<Page<Prompt>, StoreError>;
    async fn get_prompt_version(&self, prompt_id: &PromptId, version: u32)
        -> Result<Option<PromptVersion>, StoreError>;
    /// Newest first.
    async fn list_prompt_versions(
        &self,
        prompt_id: &PromptId,
        page: &PageRequest,
    ) -> Result<Page<PromptVersion>, StoreError>;
}

/// Which prompts a list shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct PromptFilter<'a> {
    /// A case-sensitive substring of the name.
    pub name_contains: Option<&'a str>,
    /// Hidden prompts too.
    pub include_hidden: bool,
}
