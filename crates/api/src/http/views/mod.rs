//! What the house API (`/api/v1/...`) shows of the model: camelCase JSON.

pub mod agents;
pub mod conversations;
pub mod dead_letters;
pub mod event_deliveries;
pub mod knowledge;
pub mod numbers;
pub mod policies;
pub mod prompts;
pub mod test_suites;

use serde::Serialize;

use crate::model::{timestamp, ApiKey, IssuedKey, Principal, Role, Workspace, WorkspaceId};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceView {
    pub id: WorkspaceId,
    pub name: String,
    pub created_at: String,
    /// The key that made this request.
    pub api_key: CallerView,
    pub monthly_token_quota: Option<u64>,
    pub webhook_url: Option<String>,
    /// Shown once, when a webhook is first set: it signs every event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_secret: Option<String>,
    /// Whether events are sent: false while the webhook is disabled (or there is none).
    pub webhook_enabled: bool,
    /// Why and when the webhook was disabled; none while it is enabled.
    pub webhook_disabled: Option<WebhookDisabledView>,
    /// Deliveries failed in a row; at 20 the webhook is disabled.
    pub webhook_failures: u32,
    /// Messages and their media older than this many days are deleted; null keeps them.
    pub retention_days: Option<u32>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDisabledView {
    pub at: String,
    pub reason: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallerView {
    pub prefix: String,
    pub role: Role,
}

impl WorkspaceView {
    pub fn new(workspace: &Workspace, principal: &Principal) -> Self {
        Self {
            id: workspace.id.clone(),
            name: workspace.name.clone(),
            created_at: timestamp::format(workspace.created_at),
            api_key: CallerView { prefix: principal.key_prefix.clone(), role: principal.role },
            monthly_token_quota: workspace.monthly_token_quota,
            webhook_url: workspace.webhook_url.clone(),
            webhook_secret: None,
            webhook_enabled: workspace.live_webhook().is_some(),
            webhook_disabled: workspace.webhook_disabled_at.map(|at| WebhookDisabledView {
                at: timestamp::format(at),
                reason: workspace.webhook_disabled_reason.clone().unwrap_or_default(),
            }),
            webhook_failures: workspace.webhook_failures,
            retention_days: workspace.retention_days,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyView {
    pub prefix: String,
    pub name: String,
    pub role: Role,
    pub created_at: String,
}

impl From<&ApiKey> for ApiKeyView {
    fn from(key: &ApiKey) -> Self {
        Self {
            prefix: key.prefix.clone(),
            name: key.name.clone(),
            role: key.role,
            created_at: timestamp::format(key.created_at),
        }
    }
}

/// The one response that carries a key's secret.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedKeyView {
    #[serde(flatten)]
    pub key: ApiKeyView,
    /// Shown once: only its hash is stored.
    pub key_secret: String,
}

impl From<&IssuedKey> for CreatedKeyView {
    fn from(issued: &IssuedKey) -> Self {
        Self { key: ApiKeyView::from(&issued.key), key_secret: issued.plaintext.clone() }
    }
}
