//! Where knowledge bases are kept, and the index their searches read.

use async_trait::async_trait;

use super::model::{Chunk, Document, Hit, KnowledgeBase, Snapshot};
use crate::model::{DocumentId, KnowledgeBaseId, Page, PageRequest, WorkspaceId};
use crate::ports::StoreError;

#[async_trait]
pub trait KnowledgeStore: Send + Sync {
    /// A new knowledge base (`expected: None`), or a change of its name or description over
    /// revision `expected`; `Conflict` when it exists (new), or is gone or changed (change).
    async fn put_knowledge_base(&self, base: &KnowledgeBase, expected: Option<u64>) -> Result<(), StoreError>;
    async fn get_knowledge_base(
        &self,
        workspace_id: &WorkspaceId,
        id: &KnowledgeBaseId,
    ) -> Result<Option<KnowledgeBase>, StoreError>;
    /// Oldest first.
    async fn list_knowledge_bases(
        &self,
        workspace_id: &WorkspaceId,
        page: &PageRequest,
    ) -> Result<Page<KnowledgeBase>, StoreError>;
    /// Deletes it and its documents' records; `false` when there was none.
    async fn delete_knowledge_base(&self, workspace_id: &WorkspaceId, id: &KnowledgeBaseId)
        -> Result<bool, StoreError>;
    /// Points it at `snapshot` if it still points at `expected` (a snapshot id; `None`: none
    /// yet); `Conflict` otherwise, or when it is gone.
    async fn move_snapshot(
        &self,
        base: &KnowledgeBase,
        snapshot: &Snapshot,
        expected: Option<&str>,
    ) -> Result<(), StoreError>;

    /// A new document (`expected: None`), or a change over revision `expected`.
    async fn put_document(&self, document: &Document, expected: Option<u64>) -> Result<(), StoreError>;
    async fn get_document(
        &self,
        workspace_id: &WorkspaceId,
        base: &KnowledgeBaseId,
        id: &DocumentId,
    ) -> Result<Option<Document>, StoreError>;
    /// Oldest first.
    async fn list_documents(
        &self,
        workspace_id: &WorkspaceId,
        base: &KnowledgeBaseId,
        page: &PageRequest,
    ) -> Result<Page<Document>, StoreError>;
    /// Every document of the knowledge base (at most `MAX_DOCUMENTS`).
    async fn all_documents(
        &self,
        workspace_id: &WorkspaceId,
        base: &KnowledgeBaseId,
    ) -> Result<Vec<Document>, StoreError>;
    /// `false` when there was none.
    async fn delete_document(&self, document: &Document) -> Result<bool, StoreError>;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("knowledge index: {0}")]
pub struct IndexError(pub String);

/// The search engine of knowledge bases. The snapshot adapter builds an immutable index per
/// rebuild, keeps it in S3 and searches it in the function's memory; an engine for knowledge
/// bases too large for that (a managed vector or search service) implements the same port.
#[async_trait]
pub trait KnowledgeIndex: Send + Sync {
    /// Indexes `chunks` as a new snapshot of `base` and keeps it; its id and size (the caller
    /// fills in what it was built from).
    async fn build(&self, base: &KnowledgeBase, chunks: Vec<Chunk>) -> Result<(String, u64), IndexError>;
    /// The best `limit` chunks of `snapshot` for `query`, best first: by its words, and by its
    /// embedding's nearness too when it has one (and the snapshot holds embeddings), the two
    /// rankings fused.
    async fn search(
        &self,
        base: &KnowledgeBase,
        snapshot: &Snapshot,
        query: &Query,
        limit: usize,
    ) -> Result<Vec<Hit>, IndexError>;
    /// A snapshot no longer current: it goes once searches that hold it are done.
    async fn retire(&self, base: &KnowledgeBase, snapshot: &Snapshot) -> Result<(), IndexError>;
}

/// What a search looks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub text: String,
    pub embedding: Option<Vec<f32>>,
}

impl Query {
    pub fn words(text: &str) -> Self {
        Self { text: text.to_owned(), embedding: None }
    }
}

/// Texts as vectors, on an OpenAI-compatible `/embeddings` endpoint (the deployment's, when it
/// configures one; knowledge bases rank by words alone without).
#[async_trait]
pub trait Embedder: Send + Sync {
    /// One vector per text, in order.
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, crate::ports::LlmError>;
}

/// A document fetched from a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// What the server said it is; the bytes decide.
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// GETs URL documents, under the deployment's outbound rules (the same as tools': no private,
/// loopback or link-local address, checked again when connecting).
#[async_trait]
pub trait DocumentFetcher: Send + Sync {
    /// The body, if the server answered 2xx with at most `max_bytes` within `timeout`.
    async fn fetch(
        &self,
        url: &str,
        max_bytes: usize,
        timeout: std::time::Duration,
    ) -> Result<Fetched, crate::ports::DeliveryError>;
}
