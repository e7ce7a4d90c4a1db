//! The due-work port on the table's sparse indexes: follow-ups on `FollowUpDue`, analyses and
//! approval watches on `ScheduledWork`, each spread over `FOLLOW_UP_SHARDS` partitions so that no
//! partition is hot. The shards stay here: the scheduler asks for a kind of work, not a shard.

use async_trait::async_trait;

use super::keys::{self, FOLLOW_UP_SHARDS};
use super::scheduled::{DueKeys, FOLLOW_UPS, SCHEDULED};
use super::DynamoStore;
use crate::model::{timestamp, WorkspaceId};
use crate::ports::{Due, DueAnalysis, DueApproval, DueFollowUp, DueKind, DueWork, StoreError};

#[async_trait]
impl DueWork for DynamoStore {
    async fn due(&self, kind: DueKind, now: time::OffsetDateTime, limit: u32) -> Result<Vec<Due>, StoreError> {
        let mut due = Vec::new();
        for shard in 0..FOLLOW_UP_SHARDS {
            let (index, partition, upto) = match kind {
                // A follow-up's sort key is `<due>#<attempt>`: everything due by `now`, any attempt.
                DueKind::FollowUp => {
                    (FOLLOW_UPS, keys::follow_up_partition(shard), format!("{}#~", timestamp::format(now)))
                }
                DueKind::Analysis => (SCHEDULED, keys::analysis_partition(shard), timestamp::format(now)),
                DueKind::ApprovalExpiry => (SCHEDULED, keys::approval_partition(shard), timestamp::format(now)),
            };
            let entries = self.due_keys(index, partition, upto, limit).await?;
            due.extend(entries.iter().filter_map(|entry| read(kind, entry)));
        }
        Ok(due)
    }

    async fn lease(&self, due: &Due, until: time::OffsetDateTime) -> Result<bool, StoreError> {
        let leased = timestamp::format(until);
        match due {
            Due::FollowUp(due) => {
                let key = keys::conversation(&due.workspace_id, &due.conversation_id);
                let observed = keys::follow_up_sort(&timestamp::format(due.due_at), due.attempt);
                let sort = keys::follow_up_sort(&leased, due.attempt);
                self.move_due(key, FOLLOW_UPS, observed, sort, Some(("followUpDueAt", leased))).await
            }
            Due::Analysis(due) => {
                let key = keys::conversation(&due.workspace_id, &due.conversation_id);
                let observed = timestamp::format(due.due_at);
                self.move_due(key, SCHEDULED, observed, leased.clone(), Some(("analysisDueAt", leased))).await
            }
            Due::ApprovalExpiry(due) => {
                let key = keys::approval_watch(&due.workspace_id, &due.conversation_id, &due.message_id);
                self.move_due(key, SCHEDULED, timestamp::format(due.expires_at), leased, None).await
            }
        }
    }
}

/// The entry the index's keys stand for; `None` for keys this version does not write.
fn read(kind: DueKind, entry: &DueKeys) -> Option<Due> {
    let conversation = || keys::parse_conversation(&entry.pk, &entry.sk);
    Some(match kind {
        DueKind::FollowUp => {
            let (workspace_id, conversation_id) = conversation()?;
            let (at, attempt) = entry.sort.rsplit_once('#')?;
            Due::FollowUp(DueFollowUp {
                workspace_id: workspace_id.into(),
                conversation_id: conversation_id.into(),
                due_at: timestamp::parse(at)?,
                attempt: attempt.parse().ok()?,
            })
        }
        DueKind::Analysis => {
            let (workspace_id, conversation_id) = conversation()?;
            Due::Analysis(DueAnalysis {
                workspace_id: workspace_id.into(),
                conversation_id: conversation_id.into(),
                due_at: timestamp::parse(&entry.sort)?,
            })
        }
        DueKind::ApprovalExpiry => {
            let workspace_id = WorkspaceId::from(entry.pk.strip_prefix("WS#")?);
            let (conversation_id, message_id) = entry.sk.strip_prefix(keys::APPROVAL_WATCH)?.split_once('#')?;
            Due::ApprovalExpiry(DueApproval {
                workspace_id,
                conversation_id: conversation_id.into(),
                message_id: message_id.into(),
                expires_at: timestamp::parse(&entry.sort)?,
            })
        }
    })
}
