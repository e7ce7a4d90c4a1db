//! Rate limits: how many API requests one key, and all the keys of a workspace together, may
//! make in a minute (fixed windows of the clock's minutes). Over either, the request is refused
//! with the seconds left until the next minute, when both counts start again. The WhatsApp
//! webhook and the console are not limited: Meta's deliveries must never be refused, and a
//! person's clicks are few.

pub mod port;

use crate::model::Principal;
use crate::ports::Clock;
use crate::AppError;
pub use port::{Counted, RateLimiter};

/// Requests a minute; `None` is no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    pub per_key: Option<u32>,
    pub per_workspace: Option<u32>,
}

impl RateLimits {
    /// Wassist's limit for a key (100 requests a minute); a workspace's keys together, ten times
    /// that.
    pub const DEFAULT: Self = Self { per_key: Some(100), per_workspace: Some(1000) };
    pub const NONE: Self = Self { per_key: None, per_workspace: None };
}

impl Default for RateLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Which of the limits a request ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Key,
    Workspace,
}

/// A request over a limit: which, how many a minute it allows, and when to try again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} — retry in {retry_after_seconds} s", match .limit {
    Limit::Key => format!("this API key may make {} requests a minute", .per_minute),
    Limit::Workspace => format!("this workspace's keys together may make {} requests a minute", .per_minute),
})]
pub struct RateLimited {
    pub limit: Limit,
    pub per_minute: u32,
    /// 1 to 60: the seconds until the next minute.
    pub retry_after_seconds: u32,
}

/// Counts one request of `principal`'s key against the limits, or refuses it.
pub async fn admit(
    limiter: &dyn RateLimiter,
    clock: &dyn Clock,
    limits: RateLimits,
    principal: &Principal,
) -> Result<(), AppError> {
    if limits == RateLimits::NONE {
        return Ok(());
    }
    let now = clock.now().unix_timestamp();
    let minute = now.div_euclid(60);
    match limiter.count(&principal.workspace_id, &principal.key_prefix, minute, limits).await? {
        Counted::Admitted => Ok(()),
        Counted::Refused(limit) => {
            let per_minute = match limit {
                Limit::Key => limits.per_key,
                Limit::Workspace => limits.per_workspace,
            };
            let retry_after_seconds = u32::try_from(60 - now.rem_euclid(60)).unwrap_or(60);
            Err(AppError::RateLimited(RateLimited { limit, per_minute: per_minute.unwrap_or(0), retry_after_seconds }))
        }
    }
}

#[cfg(test)]
mod tests;
