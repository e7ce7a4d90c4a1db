use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use time::OffsetDateTime;

use super::*;

/// A store of one workspace and one number that counts its reads.
#[derive(Default)]
struct Counting {
    workspace: Mutex<Option<Workspace>>,
    number: Mutex<Option<WhatsAppNumber>>,
    reads: AtomicUsize,
}

impl Counting {
    fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl WorkspaceStore for Counting {
    async fn create_workspace(&self, workspace: &Workspace, _: &ApiKey, _: &str) -> Result<(), StoreError> {
        *self.workspace.lock().map_err(|_| StoreError::Unavailable("poisoned".into()))? = Some(workspace.clone());
        Ok(())
    }

    async fn get_workspace(&self, id: &WorkspaceId) -> Result<Option<Workspace>, StoreError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        let stored = self.workspace.lock().map_err(|_| StoreError::Unavailable("poisoned".into()))?;
        Ok(stored.clone().filter(|w| &w.id == id))
    }

    async fn save_workspace(&self, workspace: &Workspace, _: u64) -> Result<(), StoreError> {
        *self.workspace.lock().map_err(|_| StoreError::Unavailable("poisoned".into()))? = Some(workspace.clone());
        Ok(())
    }
}

#[async_trait]
impl NumberStore for Counting {
    async fn register_number(&self, number: &WhatsAppNumber) -> Result<(), StoreError> {
        *self.number.lock().map_err(|_| StoreError::Unavailable("poisoned".into()))? = Some(number.clone());
        Ok(())
    }

    async fn get_number(&self, phone_number_id: &str) -> Result<Option<WhatsAppNumber>, StoreError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        let stored = self.number.lock().map_err(|_| StoreError::Unavailable("poisoned".into()))?;
        Ok(stored.clone().filter(|n| n.phone_number_id == phone_number_id))
    }

    async fn list_numbers(&self, _: &WorkspaceId, _: &PageRequest) -> Result<Page<WhatsAppNumber>, StoreError> {
        let stored = self.number.lock().map_err(|_| StoreError::Unavailable("poisoned".into()))?;
        Ok(Page { items: stored.iter().cloned().collect(), next_cursor: None })
    }

    async fn remove_number(&self, _: &WorkspaceId, _: &str) -> Result<bool, StoreError> {
        let mut stored = self.number.lock().map_err(|_| StoreError::Unavailable("poisoned".into()))?;
        Ok(stored.take().is_some())
    }
}

fn workspace() -> Workspace {
    Workspace::new("Acme".to_owned(), OffsetDateTime::UNIX_EPOCH)
}

fn number(workspace_id: &WorkspaceId) -> WhatsAppNumber {
    WhatsAppNumber {
        phone_number_id: "1055".to_owned(),
        workspace_id: workspace_id.clone(),
        display_number: "+15550001055".to_owned(),
        default_agent_id: None,
        token_ref: None,
        waba_id: None,
        created_at: OffsetDateTime::UNIX_EPOCH,
    }
}

#[tokio::test]
async fn a_workspace_is_read_once_and_read_again_after_a_change_made_through_the_cache() {
    let store = Arc::new(Counting::default());
    let cached = CachedWorkspaces::over(store.clone());
    let mut workspace = workspace();
    store.save_workspace(&workspace, 0).await.ok();

    assert_eq!(cached.get_workspace(&workspace.id).await.ok().flatten().map(|w| w.monthly_token_quota), Some(None));
    assert!(cached.get_workspace(&workspace.id).await.ok().flatten().is_some());
    assert_eq!(store.reads(), 1, "the second read is the cache's");

    workspace.monthly_token_quota = Some(10);
    cached.save_workspace(&workspace, 0).await.ok();
    let after = cached.get_workspace(&workspace.id).await.ok().flatten();
    assert_eq!(after.map(|w| w.monthly_token_quota), Some(Some(10)), "a change made here applies at once");
    assert_eq!(store.reads(), 2);
}

#[tokio::test]
async fn a_missing_workspace_is_not_remembered_as_missing() {
    let store = Arc::new(Counting::default());
    let cached = CachedWorkspaces::over(store.clone());
    let workspace = workspace();
    assert!(cached.get_workspace(&workspace.id).await.ok().flatten().is_none());
    store.save_workspace(&workspace, 0).await.ok();
    assert!(cached.get_workspace(&workspace.id).await.ok().flatten().is_some());
    assert_eq!(store.reads(), 2);
}

#[tokio::test]
async fn a_number_registered_a_moment_ago_is_found_and_a_removed_one_is_forgotten() {
    let store = Arc::new(Counting::default());
    let cached = CachedNumbers::over(store.clone());
    let owner = workspace().id;
    assert!(cached.get_number("1055").await.ok().flatten().is_none());
    cached.register_number(&number(&owner)).await.ok();
    assert!(cached.get_number("1055").await.ok().flatten().is_some(), "an unknown number is looked up again");
    assert!(cached.get_number("1055").await.ok().flatten().is_some());
    assert_eq!(store.reads(), 2, "a known number is the cache's");

    assert_eq!(cached.remove_number(&owner, "1055").await.ok(), Some(true));
    assert!(cached.get_number("1055").await.ok().flatten().is_none(), "a removed number no longer routes here");
    assert_eq!(store.reads(), 3);
}

/// A vault of one token that counts its reads.
#[derive(Default)]
struct Vault {
    token: Mutex<Option<String>>,
    reads: AtomicUsize,
}

#[async_trait]
impl TokenVault for Vault {
    async fn store_token(&self, _: &WorkspaceId, _: &str, token: &Secret) -> Result<String, VaultError> {
        *self.token.lock().map_err(|_| VaultError("poisoned".into()))? = Some(token.0.clone());
        Ok("ref_1".to_owned())
    }

    async fn token(&self, _: &str) -> Result<Secret, VaultError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        let stored = self.token.lock().map_err(|_| VaultError("poisoned".into()))?;
        stored.clone().map(Secret).ok_or_else(|| VaultError("no such token".into()))
    }

    async fn delete_token(&self, _: &str) -> Result<(), VaultError> {
        *self.token.lock().map_err(|_| VaultError("poisoned".into()))? = None;
        Ok(())
    }
}

#[tokio::test]
async fn a_token_is_read_once_and_a_deleted_one_is_not_sent_with_again() {
    let vault = Arc::new(Vault::default());
    let cached = CachedVault::over(vault.clone());
    let reference = cached.store_token(&workspace().id, "1055", &Secret("EAAG-one".into())).await.unwrap_or_default();
    assert_eq!(cached.token(&reference).await.ok().map(|t| t.0), Some("EAAG-one".to_owned()));
    assert!(cached.token(&reference).await.is_ok());
    assert_eq!(vault.reads.load(Ordering::SeqCst), 1, "the second send's token is the cache's");

    assert!(cached.delete_token(&reference).await.is_ok());
    assert!(cached.token(&reference).await.is_err(), "a deleted token is read again, and is gone");
}

#[tokio::test]
async fn what_is_not_cached_goes_to_the_store_as_it_is() {
    let store = Arc::new(Counting::default());
    let workspaces = CachedWorkspaces::over(store.clone());
    let numbers = CachedNumbers::over(store.clone());
    let workspace = workspace();
    let issued = crate::model::IssuedKey::generate(
        &workspace.id,
        "first".into(),
        crate::model::Role::Admin,
        workspace.created_at,
    );
    workspaces.create_workspace(&workspace, &issued.key, &issued.hash).await.ok();
    assert!(store.get_workspace(&workspace.id).await.ok().flatten().is_some(), "created in the store");
    numbers.register_number(&number(&workspace.id)).await.ok();
    let listed = numbers.list_numbers(&workspace.id, &PageRequest { limit: 10, cursor: None }).await;
    assert_eq!(listed.map(|page| page.items.len()).ok(), Some(1), "listed from the store");

    let vault = Arc::new(Vault::default());
    let cached = CachedVault::over(vault.clone());
    let reference = cached.store_token(&workspace.id, "1055", &Secret("EAAG-two".into())).await.ok();
    assert_eq!(reference.as_deref(), Some("ref_1"), "the vault's own reference");
}

#[tokio::test]
async fn a_workspace_forgotten_is_read_again_as_another_container_would() {
    let store = Arc::new(Counting::default());
    let cached = CachedWorkspaces::over(store.clone());
    let mut workspace = workspace();
    store.save_workspace(&workspace, 0).await.ok();
    assert!(cached.get_workspace(&workspace.id).await.ok().flatten().is_some());
    workspace.monthly_token_quota = Some(7);
    store.save_workspace(&workspace, 0).await.ok();
    let stale = cached.get_workspace(&workspace.id).await.ok().flatten();
    assert_eq!(stale.map(|w| w.monthly_token_quota), Some(None), "changed elsewhere: this container's copy");
    cached.forget(&workspace.id);
    let fresh = cached.get_workspace(&workspace.id).await.ok().flatten();
    assert_eq!(fresh.map(|w| w.monthly_token_quota), Some(Some(7)));
}
