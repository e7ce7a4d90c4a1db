use crate::model::ids::WorkspaceId;
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub name: String,
    pub created_at: OffsetDateTime,
    /// Input plus output tokens allowed per calendar month (UTC); none means no limit.
    pub monthly_token_quota: Option<u64>,
    /// Where outbound events are POSTed, signed with `webhook_secret`.
    pub webhook_url: Option<String>,
    pub webhook_secret: Option<String>,
    /// Bumped by every write: a change is stored only over the revision it was made from, so
    /// that two concurrent changes of different fields both survive.
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
