//! Signing in to the console with an API key, and finding who a cookie belongs to.

pub mod model;
pub mod port;

use time::OffsetDateTime;

use crate::api_keys::model::hash_key;
use crate::console_sessions::model::{hash_secret, ConsoleSession, OpenedSession, SESSION_LIFETIME};
use crate::ports::{ApiKeyStore, SessionStore, StoreError};
use crate::AppError;

/// Why a key does not open a session.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInRejection {
    #[error("is required: paste an API key of this workspace")]
    NoKey,
    #[error("this key is not valid: it is unknown or was revoked")]
    UnknownKey,
}

impl From<SignInRejection> for AppError {
    fn from(rejection: SignInRejection) -> Self {
        Self::Rejected(rejection.into())
    }
}

/// Opens a session for the holder of `presented_key`.
pub async fn sign_in(
    keys: &dyn ApiKeyStore,
    sessions: &dyn SessionStore,
    now: OffsetDateTime,
    presented_key: &str,
) -> Result<OpenedSession, AppError> {
    let presented_key = presented_key.trim();
    if presented_key.is_empty() {
        return Err(SignInRejection::NoKey.into());
    }
    let key_hash = hash_key(presented_key);
    let key = keys.find_key_by_hash(&key_hash).await?.ok_or(SignInRejection::UnknownKey)?;
    let opened = OpenedSession::open(&key, &key_hash, now, SESSION_LIFETIME);
    sessions.create_session(&opened.session).await?;
    tracing::info!(workspace = %key.workspace_id, key = %key.prefix, "console sign-in");
    Ok(opened)
}

/// The live session a cookie's secret opens: `None` once it expired, was ended, or its key was
/// revoked (the session is then deleted too).
pub async fn current(
    keys: &dyn ApiKeyStore,
    sessions: &dyn SessionStore,
    now: OffsetDateTime,
    secret: &str,
) -> Result<Option<ConsoleSession>, StoreError> {
    if secret.is_empty() {
        return Ok(None);
    }
    let secret_hash = hash_secret(secret);
    let Some(session) = sessions.get_session(&secret_hash).await? else { return Ok(None) };
    if !session.is_live(now) {
        return Ok(None);
    }
    if keys.find_key_by_hash(&session.key_hash).await?.is_none() {
        sessions.delete_session(&secret_hash).await?;
        return Ok(None);
    }
    Ok(Some(session))
}

pub async fn sign_out(sessions: &dyn SessionStore, session: &ConsoleSession) -> Result<(), StoreError> {
    sessions.delete_session(&session.secret_hash).await
}
