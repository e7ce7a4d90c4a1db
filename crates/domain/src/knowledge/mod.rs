//! Knowledge bases: documents a workspace gives its agents to answer from. A change of a
//! document queues a rebuild on the knowledge base's own FIFO group (`ingest`), which indexes
//! what is pending into a new immutable snapshot and moves the knowledge base to it; searches
//! (`search`) read the current snapshot, so they never see half an index.

pub mod chunk;
pub mod documents;
pub mod ingest;
pub mod model;
pub mod port;
pub mod retrieve;
pub mod search;

use crate::model::values::OutOfRange;
use crate::model::{KnowledgeBaseId, Page, PageRequest, Principal};
use crate::ports::{Clock, FileReader, MediaStore, StoreError, TriggerQueue};
use crate::AppError;
use model::KnowledgeBase;
use port::{DocumentFetcher, KnowledgeIndex, KnowledgeStore};

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_DESCRIPTION_CHARS: usize = 1_000;

/// What the knowledge base use cases use.
#[derive(Clone, Copy)]
pub struct KnowledgePorts<'a> {
    pub store: &'a dyn KnowledgeStore,
    /// Documents' content and chunks, under `knowledge/` in the media bucket.
    pub files: &'a dyn MediaStore,
    pub index: &'a dyn KnowledgeIndex,
    pub queue: &'a dyn TriggerQueue,
    pub clock: &'a dyn Clock,
    /// A URL document's fetch (rebuilds only).
    pub fetcher: &'a dyn DocumentFetcher,
    /// A PDF's pages, read in a limited child process (rebuilds only).
    pub reader: &'a dyn FileReader,
    /// Chunks' embeddings, when the deployment has an embeddings endpoint.
    pub embedder: Option<&'a dyn port::Embedder>,
}

/// A knowledge base's name: 1 to 100 characters, not blank.
pub fn parse_name(text: &str) -> Result<String, OutOfRange> {
    let name = text.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(OutOfRange::new(format!("must be 1 to {MAX_NAME_CHARS} characters")));
    }
    Ok(name.to_owned())
}

pub fn parse_description(text: Option<&str>) -> Result<String, OutOfRange> {
    let text = text.unwrap_or_default().trim();
    if text.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(OutOfRange::new(format!("must be at most {MAX_DESCRIPTION_CHARS} characters")));
    }
    Ok(text.to_owned())
}

/// Knowledge bases an agent or a prompt may name.
pub const MAX_NAMED_BASES: usize = 10;

/// The knowledge bases an agent or a prompt names: at most `MAX_NAMED_BASES`, each once (in the
/// order first named).
pub fn parse_named_bases(mut bases: Vec<KnowledgeBaseId>) -> Result<Vec<KnowledgeBaseId>, OutOfRange> {
    if bases.len() > MAX_NAMED_BASES {
        return Err(OutOfRange::new(format!("at most {MAX_NAMED_BASES} knowledge bases")));
    }
    let mut seen = std::collections::HashSet::new();
    bases.retain(|id| seen.insert(id.clone()));
    Ok(bases)
}

/// The index of the first of `bases` that is not a knowledge base of the workspace.
pub async fn first_unknown(
    store: &dyn KnowledgeStore,
    workspace_id: &crate::model::WorkspaceId,
    bases: &[KnowledgeBaseId],
) -> Result<Option<usize>, StoreError> {
    for (index, id) in bases.iter().enumerate() {
        if store.get_knowledge_base(workspace_id, id).await?.is_none() {
            return Ok(Some(index));
        }
    }
    Ok(None)
}

/// A change of a knowledge base: `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct KnowledgeBaseChange {
    pub name: Option<String>,
    pub description: Option<String>,
}

pub async fn create(
    store: &dyn KnowledgeStore,
    clock: &dyn Clock,
    principal: &Principal,
    name: String,
    description: String,
) -> Result<KnowledgeBase, AppError> {
    let now = clock.now();
    let base = KnowledgeBase {
        id: KnowledgeBaseId::generate(),
        workspace_id: principal.workspace_id.clone(),
        name,
        description,
        snapshot: None,
        created_at: now,
        updated_at: now,
        revision: 0,
    };
    store.put_knowledge_base(&base, None).await?;
    Ok(base)
}

pub async fn get(
    store: &dyn KnowledgeStore,
    principal: &Principal,
    id: &KnowledgeBaseId,
) -> Result<KnowledgeBase, AppError> {
    store
        .get_knowledge_base(&principal.workspace_id, id)
        .await?
        .ok_or_else(|| AppError::not_found(&format!("knowledge base `{id}`")))
}

pub async fn list(
    store: &dyn KnowledgeStore,
    principal: &Principal,
    page: &PageRequest,
) -> Result<Page<KnowledgeBase>, AppError> {
    Ok(store.list_knowledge_bases(&principal.workspace_id, page).await?)
}

pub async fn change(
    store: &dyn KnowledgeStore,
    clock: &dyn Clock,
    principal: &Principal,
    id: &KnowledgeBaseId,
    change: KnowledgeBaseChange,
) -> Result<KnowledgeBase, AppError> {
    let mut retries = crate::optimistic::Retries::new("the knowledge base");
    loop {
        retries.another().await?;
        let current = get(store, principal, id).await?;
        let changed = KnowledgeBase {
            name: change.name.clone().unwrap_or_else(|| current.name.clone()),
            description: change.description.clone().unwrap_or_else(|| current.description.clone()),
            updated_at: clock.now(),
            revision: current.revision + 1,
            ..current.clone()
        };
        match store.put_knowledge_base(&changed, Some(current.revision)).await {
            Ok(()) => return Ok(changed),
            Err(StoreError::Conflict(_)) => continue,
            Err(err) => return Err(err.into()),
        }
    }
}

/// Deletes the knowledge base, its documents, their files and its snapshots. Agents that name
/// it find nothing in it from then on.
pub async fn delete(ports: &KnowledgePorts<'_>, principal: &Principal, id: &KnowledgeBaseId) -> Result<(), AppError> {
    let base = get(ports.store, principal, id).await?;
    if !ports.store.delete_knowledge_base(&base.workspace_id, &base.id).await? {
        return Err(AppError::not_found(&format!("knowledge base `{id}`")));
    }
    if let Err(err) = ports.files.delete_under(&files_prefix(&base)).await {
        tracing::warn!(error = %err, knowledge_base = %base.id, "knowledge base files left for the bucket's lifecycle");
    }
    if let Some(snapshot) = &base.snapshot {
        if let Err(err) = ports.index.retire(&base, snapshot).await {
            tracing::warn!(error = %err, knowledge_base = %base.id, "snapshot left for the bucket's lifecycle");
        }
    }
    Ok(())
}

/// Where a knowledge base's documents' content and chunks are kept.
pub fn files_prefix(base: &KnowledgeBase) -> String {
    format!("knowledge/{}/{}/documents/", base.workspace_id, base.id)
}
