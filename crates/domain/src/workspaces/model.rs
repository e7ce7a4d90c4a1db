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
    /// Deliveries that failed in a row (every try spent); one delivered resets it.
    pub webhook_failures: u32,
    /// When the webhook was disabled (too many failures, or a person), and why; no event is
    /// sent while it is.
    pub webhook_disabled_at: Option<OffsetDateTime>,
    pub webhook_disabled_reason: Option<String>,
    /// Messages and their media older than this many days are deleted; none keeps them.
    pub retention_days: Option<u32>,
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
            webhook_failures: 0,
            webhook_disabled_at: None,
            webhook_disabled_reason: None,
            retention_days: None,
            revision: 0,
        }
    }

    /// Where events go now: the webhook and its secret, unless it is disabled.
    pub fn live_webhook(&self) -> Option<(&str, &str)> {
        if self.webhook_disabled_at.is_some() {
            return None;
        }
        self.webhook_url.as_deref().zip(self.webhook_secret.as_deref())
    }
}
