//! API-key authentication and role checks.

use lambda_http::Request;

use crate::http::error::ApiError;
use crate::model::{Principal, Role};
use crate::{App, AppError};
use colloquy_domain::api_keys::model::hash_key;

const MISSING_KEY: &str = "missing API key: send it as `X-API-Key: <key>` or `Authorization: Bearer <key>`";
const INVALID_KEY: &str = "API key is not valid: it is unknown or was revoked";

/// The key from `X-API-Key`, else from `Authorization: Bearer`.
pub fn presented_key(request: &Request) -> Option<&str> {
    let headers = request.headers();
    if let Some(key) = headers.get("x-api-key").and_then(|value| value.to_str().ok()) {
        return Some(key.trim());
    }
    let authorization = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = authorization.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

pub async fn authenticate(app: &App, request: &Request) -> Result<Principal, ApiError> {
    let key = presented_key(request).filter(|key| !key.is_empty());
    let Some(key) = key else {
        return Err(ApiError::Unauthenticated(MISSING_KEY.to_owned()));
    };
    // Lookup is by hash: timing reveals nothing about stored keys.
    let found = app.store.find_key_by_hash(&hash_key(key)).await?;
    let key = found.ok_or_else(|| ApiError::Unauthenticated(INVALID_KEY.to_owned()))?;
    Ok(Principal { workspace_id: key.workspace_id, role: key.role, key_prefix: key.prefix })
}

/// The one role check: `read` keys read, `write` keys also change, `admin` keys also manage keys
/// and the workspace.
pub fn require(principal: &Principal, needed: Role) -> Result<(), AppError> {
    let allowed = match needed {
        Role::Read => true,
        Role::Write => principal.role.can_write(),
        Role::Admin => principal.role.is_admin(),
    };
    if allowed {
        return Ok(());
    }
    Err(AppError::Forbidden(match needed {
        Role::Admin => format!("this API key has the `{}` role; this needs an `admin` key", principal.role),
        _ => format!(
            "this API key has the `{}` role, which cannot change anything; use a `write` or `admin` key",
            principal.role
        ),
    }))
}
