//! Retention: a workspace may keep messages and their media for a limited number of days. An
//! hourly sweep deletes, in each workspace due (swept at most once a day, leased so that two runs
//! never sweep the same workspace), the messages older than that and their media objects. The
//! conversations stay (their usage, state and analysis); what a contact wrote goes.

pub mod port;

use time::{Duration, OffsetDateTime};

use crate::model::deadline::Deadline;
use crate::ports::MediaStore;
use crate::AppError;

pub use port::RetentionStore;

/// A workspace's retention may be 1 to 3,650 days (ten years).
pub const MAX_DAYS: u32 = 3650;
/// A workspace is swept at most this often.
pub const SWEEP_EVERY: Duration = Duration::days(1);
/// A sweep starts no workspace with less than this left of its invocation.
const WORKSPACE_BUDGET: std::time::Duration = std::time::Duration::from_secs(60);

/// Days, parsed once: 1 to `MAX_DAYS`.
pub fn days(value: u64) -> Result<u32, String> {
    u32::try_from(value)
        .ok()
        .filter(|days| (1..=MAX_DAYS).contains(days))
        .ok_or_else(|| format!("must be a number of days from 1 to {MAX_DAYS}"))
}

#[derive(Clone, Copy)]
pub struct SweepPorts<'a> {
    pub store: &'a dyn RetentionStore,
    pub media: &'a dyn MediaStore,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub workspaces: u32,
    pub messages: u32,
    pub media_objects: u32,
}

/// Sweeps every workspace due, until the invocation's deadline is near (the next run goes on).
pub async fn sweep(ports: &SweepPorts<'_>, now: OffsetDateTime, deadline: Deadline) -> Result<Swept, AppError> {
    let since = now - SWEEP_EVERY;
    let mut swept = Swept::default();
    for (workspace_id, days) in ports.store.due_sweeps(since).await? {
        if !deadline.leaves(WORKSPACE_BUDGET) {
            break;
        }
        if !ports.store.lease_sweep(&workspace_id, since, now).await? {
            continue;
        }
        let before = now - Duration::days(i64::from(days));
        for conversation_id in ports.store.workspace_conversations(&workspace_id).await? {
            let (messages, with_media) = ports.store.expire_messages(&conversation_id, before).await?;
            swept.messages += messages;
            for message_id in with_media {
                let prefix = format!("media/{workspace_id}/{conversation_id}/{message_id}");
                swept.media_objects += ports
                    .media
                    .delete_under(&prefix)
                    .await
                    .map_err(|err| AppError::Internal(format!("old media could not be deleted: {err}")))?;
            }
        }
        swept.workspaces += 1;
        tracing::info!(workspace = %workspace_id, days, "retention applied");
    }
    Ok(swept)
}
