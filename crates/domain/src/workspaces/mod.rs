//! The workspace: read, and changed over its revision (quota, webhook).

pub mod model;
pub mod port;

use time::OffsetDateTime;

use crate::model::{IssuedKey, Principal, Role, Workspace};
use crate::ports::{Store, WorkspaceStore};
use crate::AppError;

pub const MAX_NAME_CHARS: usize = 100;

/// Creates a workspace and its first admin key: the only key that does not need a key.
/// Takes the store alone so that the admin command line needs no queue.
pub async fn create_workspace(
    store: &dyn Store,
    name: &str,
    now: OffsetDateTime,
) -> Result<(Workspace, IssuedKey), AppError> {
    let name = crate::model::input::trimmed_text(name, MAX_NAME_CHARS)
        .map_err(|problem| AppError::bad_request(format!("the workspace's name {problem}")))?;
    let workspace = Workspace::new(name, now);
    let issued = IssuedKey::generate(&workspace.id, "first admin key".to_owned(), Role::Admin, now);
    store.create_workspace(&workspace, &issued.key, &issued.hash).await?;
    Ok((workspace, issued))
}

pub async fn current_workspace(workspaces: &dyn WorkspaceStore, principal: &Principal) -> Result<Workspace, AppError> {
    workspaces
        .get_workspace(&principal.workspace_id)
        .await?
        .ok_or_else(|| AppError::Internal(format!("key {} points at a missing workspace", principal.key_prefix)))
}

/// A change of the workspace's settings: `None` leaves one as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct WorkspaceChange {
    pub monthly_token_quota: Option<Option<u64>>,
    /// Checked against the deployment's outbound rules. A new address is enabled afresh.
    pub webhook_url: Option<Option<String>>,
    /// `true` enables a disabled webhook again (its failures forgotten), `false` disables it.
    pub webhook_enabled: Option<bool>,
    /// Days messages are kept (parsed by `retention::days`); `Some(None)` keeps them.
    pub retention_days: Option<Option<u32>>,
}

/// Changes the quota and the webhook; a new webhook gets a new signing secret, returned once.
/// Through the cached workspaces, so that this container's cache forgets the old settings.
pub async fn change_settings(
    workspaces: &dyn WorkspaceStore,
    retention: &dyn crate::retention::RetentionStore,
    principal: &Principal,
    change: WorkspaceChange,
    now: OffsetDateTime,
) -> Result<(Workspace, Option<String>), AppError> {
    let mut retries = crate::optimistic::Retries::new("the workspace");
    loop {
        retries.another().await?;
        let current = current_workspace(workspaces, principal).await?;
        let (mut workspace, new_secret) = changed_settings(current.clone(), change.clone());
        switch_webhook(&mut workspace, &current, &change, principal, now);
        match workspaces.save_workspace(&workspace, current.revision).await {
            Ok(()) => {
                // Listed for the sweep after the setting is stored: a failure here is an error
                // the caller retries, and the setting is written again.
                if let Some(days) = change.retention_days {
                    retention.set_retention(&workspace.id, days).await?;
                }
                return Ok((workspace, new_secret));
            }
            // Another change came first: it is read again and kept.
            Err(crate::ports::StoreError::Conflict(_)) => continue,
            Err(err) => return Err(err.into()),
        }
    }
}

/// A new address starts afresh; a person may enable or disable the webhook (recorded with
/// their key as the reason).
fn switch_webhook(
    workspace: &mut Workspace,
    before: &Workspace,
    change: &WorkspaceChange,
    principal: &Principal,
    now: OffsetDateTime,
) {
    let readdressed = workspace.webhook_url != before.webhook_url;
    match change.webhook_enabled {
        Some(false) if workspace.webhook_url.is_some() && workspace.webhook_disabled_at.is_none() => {
            workspace.webhook_disabled_at = Some(now);
            workspace.webhook_disabled_reason = Some(format!("disabled by the key {}", principal.key_prefix));
        }
        Some(true) | None if readdressed || change.webhook_enabled == Some(true) => {
            workspace.webhook_failures = 0;
            workspace.webhook_disabled_at = None;
            workspace.webhook_disabled_reason = None;
        }
        _ => {}
    }
}

fn changed_settings(mut workspace: Workspace, change: WorkspaceChange) -> (Workspace, Option<String>) {
    if let Some(quota) = change.monthly_token_quota {
        workspace.monthly_token_quota = quota;
    }
    if let Some(days) = change.retention_days {
        workspace.retention_days = days;
    }
    let mut new_secret = None;
    if let Some(url) = change.webhook_url {
        match url {
            Some(url) => {
                workspace.webhook_url = Some(url);
                if workspace.webhook_secret.is_none() {
                    let secret = format!("whsec_{}", crate::model::ids::random_hex(24));
                    workspace.webhook_secret = Some(secret.clone());
                    new_secret = Some(secret);
                }
            }
            None => {
                workspace.webhook_url = None;
                workspace.webhook_secret = None;
            }
        }
    }
    workspace.revision += 1;
    (workspace, new_secret)
}
