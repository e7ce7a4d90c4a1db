//! Where requests are counted.

use async_trait::async_trait;

use super::{Limit, RateLimits};
use crate::model::WorkspaceId;
use crate::ports::StoreError;

/// What counting a request gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// Under both limits: counted.
    Admitted,
    /// At a limit already: not counted.
    Refused(Limit),
}

#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Counts one request of the key `key_prefix` in `minute` (minutes since the Unix epoch),
    /// for the key and for its workspace, unless either count has reached its limit.
    async fn count(
        &self,
        workspace_id: &WorkspaceId,
        key_prefix: &str,
        minute: i64,
        limits: RateLimits,
    ) -> Result<Counted, StoreError>;
}
