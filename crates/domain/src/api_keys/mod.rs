//! API keys: issued with a role, listed, revoked; only their hash is kept.

pub mod model;
pub mod port;

use crate::model::{ApiKey, IssuedKey, Page, PageRequest, Principal, Role};
use crate::ports::{ApiKeyStore, Clock, StoreError};
use crate::AppError;

pub const MAX_NAME_CHARS: usize = 100;

/// A key to issue: its name (trimmed, at most `MAX_NAME_CHARS`) and role.
#[derive(Debug)]
pub struct NewKey {
    pub name: String,
    pub role: Role,
}

pub async fn create_key(
    keys: &dyn ApiKeyStore,
    clock: &dyn Clock,
    principal: &Principal,
    input: NewKey,
) -> Result<IssuedKey, AppError> {
    let NewKey { name, role } = input;
    // A prefix collision within the workspace is possible in principle; draw again.
    for _ in 0..3 {
        let issued = IssuedKey::generate(&principal.workspace_id, name.clone(), role, clock.now());
        match keys.insert_key(&issued.key, &issued.hash).await {
            Ok(()) => return Ok(issued),
            Err(StoreError::Conflict(_)) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(AppError::Internal("could not draw a unique key prefix in three attempts".into()))
}

pub async fn list_keys(
    keys: &dyn ApiKeyStore,
    principal: &Principal,
    page: &PageRequest,
) -> Result<Page<ApiKey>, AppError> {
    Ok(keys.list_keys(&principal.workspace_id, page).await?)
}

/// The names of the workspace's keys by prefix: who a recorded decision was made by (a revoked
/// key's prefix has no name any more).
pub async fn names_by_prefix(
    keys: &dyn ApiKeyStore,
    principal: &Principal,
) -> Result<std::collections::HashMap<String, String>, AppError> {
    let listed = keys.list_keys(&principal.workspace_id, &PageRequest { limit: 100, cursor: None }).await?;
    Ok(listed.items.into_iter().map(|key| (key.prefix, key.name)).collect())
}

/// A key cannot revoke itself: since only admin keys revoke, a workspace always keeps one.
pub async fn revoke_key(keys: &dyn ApiKeyStore, principal: &Principal, prefix: &str) -> Result<(), AppError> {
    if prefix == principal.key_prefix {
        return Err(AppError::Conflict(format!(
            "`{prefix}` is the key making this request; revoke it with another admin key, so the workspace keeps one"
        )));
    }
    // Another workspace's key is indistinguishable from no key.
    if keys.delete_key(&principal.workspace_id, prefix).await? {
        tracing::info!(workspace = %principal.workspace_id, revoked = %prefix, by = %principal.key_prefix, "API key revoked");
        Ok(())
    } else {
        Err(AppError::not_found(&format!("API key `{prefix}`")))
    }
}
