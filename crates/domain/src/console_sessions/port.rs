//! Where console sign-ins are kept.

use async_trait::async_trait;

use crate::console_sessions::model::ConsoleSession;
use crate::ports::StoreError;

/// Console sign-ins, by the hash of their secret; the table forgets them after they expire.
#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn create_session(&self, session: &ConsoleSession) -> Result<(), StoreError>;
    async fn get_session(&self, secret_hash: &str) -> Result<Option<ConsoleSession>, StoreError>;
    async fn delete_session(&self, secret_hash: &str) -> Result<(), StoreError>;
}
