//! Per-container caches, as decorators of the ports they cache: a use case asks a port, and the
//! wiring decides whether the answer may be a little old. A write through a decorator forgets
//! what it changed, so a change made in this container applies here at once; other containers
//! see it within the cache's lifetime.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::model::cache::TtlCache;
use crate::model::{ApiKey, Page, PageRequest, PolicyId, WhatsAppNumber, Workspace, WorkspaceId};
use crate::policies::model::{Policy, Violation};
use crate::policies::PolicyCache;
use crate::ports::{NumberStore, PolicyStore, Secret, StoreError, TokenVault, VaultError, WorkspaceStore};

/// How long a workspace (its quota and webhook) is kept.
pub const WORKSPACE_TTL: Duration = Duration::from_secs(60);
/// How long a registered number is kept: every inbound message names its number.
pub const NUMBER_TTL: Duration = Duration::from_secs(300);
/// How long a number's access token is kept: a replaced token takes effect within this.
pub const TOKEN_TTL: Duration = Duration::from_secs(300);

/// Workspaces by id. A workspace that does not exist is never cached.
pub struct CachedWorkspaces {
    inner: Arc<dyn WorkspaceStore>,
    entries: TtlCache<WorkspaceId, Workspace>,
}

impl CachedWorkspaces {
    pub fn over(inner: Arc<dyn WorkspaceStore>) -> Self {
        Self { inner, entries: TtlCache::default() }
    }

    /// Forgets a workspace changed elsewhere (a test's way of being another container).
    pub fn forget(&self, workspace_id: &WorkspaceId) {
        self.entries.remove(workspace_id);
    }
}

#[async_trait]
impl WorkspaceStore for CachedWorkspaces {
    async fn create_workspace(
        &self,
        workspace: &Workspace,
        first_key: &ApiKey,
        key_hash: &str,
    ) -> Result<(), StoreError> {
        self.inner.create_workspace(workspace, first_key, key_hash).await
    }

    async fn get_workspace(&self, id: &WorkspaceId) -> Result<Option<Workspace>, StoreError> {
        self.entries.get_or_load(id.clone(), WORKSPACE_TTL, self.inner.get_workspace(id)).await
    }

    async fn save_workspace(&self, workspace: &Workspace, expected: u64) -> Result<(), StoreError> {
        let saved = self.inner.save_workspace(workspace, expected).await;
        self.entries.remove(&workspace.id);
        saved
    }
}

/// Business numbers by Meta's id. An unknown number is looked up again next time, so a number
/// registered a moment ago gets its first messages.
pub struct CachedNumbers {
    inner: Arc<dyn NumberStore>,
    entries: TtlCache<String, WhatsAppNumber>,
}

impl CachedNumbers {
    pub fn over(inner: Arc<dyn NumberStore>) -> Self {
        Self { inner, entries: TtlCache::default() }
    }
}

#[async_trait]
impl NumberStore for CachedNumbers {
    async fn register_number(&self, number: &WhatsAppNumber) -> Result<(), StoreError> {
        self.inner.register_number(number).await
    }

    async fn get_number(&self, phone_number_id: &str) -> Result<Option<WhatsAppNumber>, StoreError> {
        self.entries.get_or_load(phone_number_id.to_owned(), NUMBER_TTL, self.inner.get_number(phone_number_id)).await
    }

    async fn list_numbers(
        &self,
        workspace_id: &WorkspaceId,
        page: &PageRequest,
    ) -> Result<Page<WhatsAppNumber>, StoreError> {
        self.inner.list_numbers(workspace_id, page).await
    }

    async fn remove_number(&self, workspace_id: &WorkspaceId, phone_number_id: &str) -> Result<bool, StoreError> {
        let removed = self.inner.remove_number(workspace_id, phone_number_id).await;
        self.entries.remove(&phone_number_id.to_owned());
        removed
    }
}

/// Policies, with each workspace's set compiled once per change (`PolicyCache`, half a minute).
pub struct CachedPolicies {
    inner: Arc<dyn PolicyStore>,
    sets: PolicyCache,
}

impl CachedPolicies {
    pub fn over(inner: Arc<dyn PolicyStore>) -> Self {
        Self { inner, sets: PolicyCache::default() }
    }

    /// The compiled sets and the store they are compiled from: what evaluation reads.
    pub(crate) fn compiled(&self) -> (&PolicyCache, &dyn PolicyStore) {
        (&self.sets, &*self.inner)
    }
}

#[async_trait]
impl PolicyStore for CachedPolicies {
    async fn put_policy(&self, policy: &Policy, expected: Option<u64>) -> Result<(), StoreError> {
        let stored = self.inner.put_policy(policy, expected).await;
        self.sets.forget(&policy.workspace_id);
        stored
    }

    async fn get_policy(&self, workspace_id: &WorkspaceId, policy_id: &PolicyId) -> Result<Option<Policy>, StoreError> {
        self.inner.get_policy(workspace_id, policy_id).await
    }

    async fn list_policies(&self, workspace_id: &WorkspaceId, page: &PageRequest) -> Result<Page<Policy>, StoreError> {
        self.inner.list_policies(workspace_id, page).await
    }

    async fn delete_policy(&self, workspace_id: &WorkspaceId, policy_id: &PolicyId) -> Result<bool, StoreError> {
        let deleted = self.inner.delete_policy(workspace_id, policy_id).await;
        self.sets.forget(workspace_id);
        deleted
    }

    async fn record_violations(&self, violations: &[Violation]) -> Result<(), StoreError> {
        self.inner.record_violations(violations).await
    }

    async fn list_violations(
        &self,
        workspace_id: &WorkspaceId,
        page: &PageRequest,
    ) -> Result<Page<Violation>, StoreError> {
        self.inner.list_violations(workspace_id, page).await
    }
}

/// Numbers' access tokens by reference: every send names one.
pub struct CachedVault {
    inner: Arc<dyn TokenVault>,
    tokens: TtlCache<String, Secret>,
}

impl CachedVault {
    pub fn over(inner: Arc<dyn TokenVault>) -> Self {
        Self { inner, tokens: TtlCache::default() }
    }
}

#[async_trait]
impl TokenVault for CachedVault {
    async fn store_token(
        &self,
        workspace_id: &WorkspaceId,
        phone_number_id: &str,
        token: &Secret,
    ) -> Result<String, VaultError> {
        self.inner.store_token(workspace_id, phone_number_id, token).await
    }

    async fn token(&self, reference: &str) -> Result<Secret, VaultError> {
        let load = async { self.inner.token(reference).await.map(Some) };
        match self.tokens.get_or_load(reference.to_owned(), TOKEN_TTL, load).await? {
            Some(token) => Ok(token),
            None => Err(VaultError("the token is missing".into())),
        }
    }

    async fn delete_token(&self, reference: &str) -> Result<(), VaultError> {
        let deleted = self.inner.delete_token(reference).await;
        self.tokens.remove(&reference.to_owned());
        deleted
    }
}

#[cfg(test)]
mod tests;
