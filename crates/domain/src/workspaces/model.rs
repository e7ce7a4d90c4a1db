use crate::model::ids::WorkspaceId;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Workspace {
    pub id: WorkspaceId,
    pub name: String,
    #[serde(with = "crate::model::timestamp::iso")]
    pub created_at: OffsetDateTime,
    /// Input plus output tokens allowed per calendar month (UTC); none means no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_token_quota: Option<u64>,
    /// Where outbound events are POSTed, signed with `webhook_secret`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_secret: Option<String>,
    /// Bumped by every write: a change is stored only over the revision it was made from, so
    /// that two concurrent changes of different fields both survive.
    #[serde(default)]
    pub revision: u64,
}

impl Workspace {
    pub fn new(name: String, now: OffsetDateTime) -> Self {
        Self {
            id: WorkspaceId::generate(),
            name,
            created_at: now,
            monthly_token_quota: None,
            webhook_url: None,
            webhook_secret: None,
            revision: 0,
        }
    }
}
