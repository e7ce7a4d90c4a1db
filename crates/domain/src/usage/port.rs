//! Where the token counters are read.

use async_trait::async_trait;

use crate::model::WorkspaceId;
use crate::ports::StoreError;
use crate::usage::model::UsageRow;

/// The token counters replies and analyses add to (in the same write as the conversation).
#[async_trait]
pub trait UsageStore: Send + Sync {
    /// Daily counters from `from` to `to` (inclusive, `yyyy-mm-dd`); per agent when `by_agent`.
    async fn usage(
        &self,
        workspace_id: &WorkspaceId,
        from: &str,
        to: &str,
        by_agent: bool,
    ) -> Result<Vec<UsageRow>, StoreError>;
    /// Adds one call's tokens to the day's counters (the workspace's and its agent's); what a
    /// conversation's reply spends is added with the reply instead.
    async fn add_usage(&self, usage: &crate::usage::model::UsageDelta) -> Result<(), StoreError>;
}
