//! The optional monthly token quota of a workspace.

use crate::model::Workspace;
use crate::ports::UsageStore;
use crate::usage::model::day_of;
use crate::AppError;

/// `Err(OverQuota)` when this month's tokens reached the workspace's quota.
pub async fn check(usage: &dyn UsageStore, now: time::OffsetDateTime, workspace: &Workspace) -> Result<(), AppError> {
    let Some(quota) = workspace.monthly_token_quota else { return Ok(()) };
    let today = day_of(now);
    let first = format!("{}-01", &today[..7]);
    let used: u64 =
        usage.usage(&workspace.id, &first, &today, false).await?.iter().map(|row| row.tokens.billed()).sum();
    if used >= quota {
        return Err(AppError::OverQuota(format!(
            "the workspace's monthly token quota of {quota} is used up ({used} tokens this month); an admin can raise it with PATCH /api/v1/workspace/"
        )));
    }
    Ok(())
}
