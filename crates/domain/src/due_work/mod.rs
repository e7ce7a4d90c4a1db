//! The scheduler's one loop: for each kind of due work, lease each entry (so that an overlapping
//! run skips it) and queue what it stands for: a follow-up, an analysis after a silence, or the
//! resumption of a run whose tool call's approval ran out.

pub mod port;

use time::{Duration, OffsetDateTime};

use crate::analysis;
use crate::analysis::AnalysisPorts;
use crate::conversations::follow_ups;
use crate::ports::{Due, DueKind, DueWork, QueueError, StoreError, TriggerQueue};
use crate::tools::tool_calls;

/// Why a scheduler run stopped: the table or the queue could not be reached (the next run, a
/// minute later, picks up where this one stopped).
#[derive(Debug, thiserror::Error)]
pub enum DueWorkError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// A queued entry is hidden from the index this long; the worker sets its real next time.
pub const LEASE: Duration = Duration::minutes(15);
/// At most this many entries of a kind from each part of the index per run; the rest wait a minute.
const PER_PART: u32 = 200;

/// What queuing due work uses: the due entries (sharded and leased inside the adapter), the
/// trigger queue, and the analyses' own rules for a silent conversation.
#[derive(Clone, Copy)]
pub struct DueWorkPorts<'a> {
    pub due: &'a dyn DueWork,
    pub queue: &'a dyn TriggerQueue,
    pub analysis: AnalysisPorts<'a>,
}

/// How many entries of each kind one run queued.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Queued {
    pub follow_ups: usize,
    pub analyses: usize,
    pub expired_tool_calls: usize,
}

pub async fn queue_due(ports: &DueWorkPorts<'_>, now: OffsetDateTime) -> Result<Queued, DueWorkError> {
    let mut queued = Queued::default();
    for kind in DueKind::ALL {
        for due in ports.due.due(kind, now, PER_PART).await? {
            // Only the run that moves the due time queues it.
            if !ports.due.lease(&due, now + LEASE).await? {
                continue;
            }
            match &due {
                Due::FollowUp(due) => {
                    follow_ups::queue(ports.queue, due).await?;
                    queued.follow_ups += 1;
                }
                Due::Analysis(due) => {
                    if analysis::queue_for_silence(&ports.analysis, due).await? {
                        queued.analyses += 1;
                    }
                }
                Due::ApprovalExpiry(due) => {
                    tool_calls::resume_expired(ports.queue, due).await?;
                    queued.expired_tool_calls += 1;
                }
            }
        }
    }
    if queued != Queued::default() {
        tracing::info!(?queued, "due work queued");
    }
    Ok(queued)
}
