//! Console sessions: one item each, keyed by the hash of the cookie's secret, forgotten by the
//! table's time-to-live (`expiresAt`, epoch seconds) after they end.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{keys, to_item, DynamoStore, Record};
use crate::model::WorkspaceId;
use crate::ports::{SessionStore, StoreError};
use colloquy_domain::api_keys::model::Role;
use colloquy_domain::console_sessions::model::ConsoleSession;

/// The item's shape: the session, and the time-to-live the table reads.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredSession {
    secret_hash: String,
    workspace_id: WorkspaceId,
    key_hash: String,
    key_prefix: String,
    key_name: String,
    role: Role,
    csrf_token: String,
    #[serde(with = "crate::model::timestamp::iso")]
    created_at: OffsetDateTime,
    #[serde(with = "crate::model::timestamp::iso")]
    ends_at: OffsetDateTime,
    /// Epoch seconds, for DynamoDB's time-to-live.
    expires_at: i64,
}

impl From<&ConsoleSession> for StoredSession {
    fn from(session: &ConsoleSession) -> Self {
        Self {
            secret_hash: session.secret_hash.clone(),
            workspace_id: session.workspace_id.clone(),
            key_hash: session.key_hash.clone(),
            key_prefix: session.key_prefix.clone(),
            key_name: session.key_name.clone(),
            role: session.role,
            csrf_token: session.csrf_token.clone(),
            created_at: session.created_at,
            ends_at: session.expires_at,
            expires_at: session.expires_at.unix_timestamp(),
        }
    }
}

impl From<StoredSession> for ConsoleSession {
    fn from(stored: StoredSession) -> Self {
        Self {
            secret_hash: stored.secret_hash,
            workspace_id: stored.workspace_id,
            key_hash: stored.key_hash,
            key_prefix: stored.key_prefix,
            key_name: stored.key_name,
            role: stored.role,
            csrf_token: stored.csrf_token,
            created_at: stored.created_at,
            expires_at: stored.ends_at,
        }
    }
}

#[async_trait]
impl SessionStore for DynamoStore {
    async fn create_session(&self, session: &ConsoleSession) -> Result<(), StoreError> {
        let item = to_item(&Record::new(keys::console_session(&session.secret_hash), StoredSession::from(session)))?;
        self.put_all_new(vec![item], "console session").await
    }

    async fn get_session(&self, secret_hash: &str) -> Result<Option<ConsoleSession>, StoreError> {
        let record: Option<Record<StoredSession>> = self.get(keys::console_session(secret_hash)).await?;
        Ok(record.map(|record| record.data.into()))
    }

    async fn delete_session(&self, secret_hash: &str) -> Result<(), StoreError> {
        self.delete_one(keys::console_session(secret_hash)).await.map(|_| ())
    }
}
