//! What a knowledge base is made of: its documents, and the snapshot of their index that
//! searches read.

use time::OffsetDateTime;

use crate::model::{DocumentId, KnowledgeBaseId, WorkspaceId};

/// A workspace's collection of documents, searched as one.
#[derive(Debug, Clone, PartialEq)]
pub struct KnowledgeBase {
    pub id: KnowledgeBaseId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub description: String,
    /// The index searches read: moved only to a complete newer snapshot, never half-built.
    pub snapshot: Option<Snapshot>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// Bumped by every change of its name or description (a change is stored only over the
    /// revision it was made from). Moving the snapshot is conditional on the snapshot instead.
    pub revision: u64,
}

/// An immutable index of a knowledge base's chunks at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub id: String,
    pub built_at: OffsetDateTime,
    pub documents: u32,
    pub chunks: u32,
    pub bytes: u64,
    /// What it was built from (each indexed document's id and content hash): a rebuild that
    /// would make the same snapshot is skipped.
    pub fingerprint: String,
    /// Whether it holds an embedding of every chunk: its searches then rank by meaning as well.
    pub embedded: bool,
}

/// How a document's content reached Colloquy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Sent as text in the request.
    Text,
    /// Fetched once from an HTTPS address, under the deployment's outbound rules.
    Url(String),
    /// A file the caller uploads through a presigned URL, of this declared type.
    Upload(String),
}

/// What a document's bytes are, as read from the bytes themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    PlainText,
    Markdown,
    Pdf,
    Html,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PlainText => "text",
            Self::Markdown => "markdown",
            Self::Pdf => "pdf",
            Self::Html => "html",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::PlainText, Self::Markdown, Self::Pdf, Self::Html].into_iter().find(|f| f.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Created for an upload that has not been completed yet.
    AwaitingUpload,
    /// Waiting for the knowledge base's next rebuild.
    Pending,
    Indexed,
    /// It could not be read or indexed; the rest of the knowledge base works without it.
    Failed(String),
}

impl Status {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::AwaitingUpload => "awaiting_upload",
            Self::Pending => "pending",
            Self::Indexed => "indexed",
            Self::Failed(_) => "failed",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub id: DocumentId,
    pub workspace_id: WorkspaceId,
    pub knowledge_base_id: KnowledgeBaseId,
    pub name: String,
    pub source: Source,
    /// Known once its content is read (a URL's when fetched).
    pub format: Option<Format>,
    pub status: Status,
    /// SHA-256 of its content, hex; empty until a URL is fetched. A change of content is a new
    /// hash, and the chunks are kept under it.
    pub content_hash: String,
    pub size_bytes: u64,
    pub chunk_count: u32,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub revision: u64,
}

/// A chunk of a document, as the index holds it and a search returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    pub document_id: DocumentId,
    pub document_name: String,
    /// Its headings, outermost first, joined by " › ".
    pub heading: String,
    pub page: Option<u32>,
    pub text: String,
    /// Its embedding, when the deployment has an embeddings endpoint.
    pub embedding: Option<Vec<f32>>,
}

/// A chunk a search found, with its score (higher is better; comparable within one search).
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub chunk: Chunk,
    pub score: f32,
}

/// A chunk an agent was given for a reply (by its context or its `search_knowledge` tool), as
/// the reply records it: where the text came from, not the text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KnowledgeRef {
    pub knowledge_base_id: KnowledgeBaseId,
    pub document_id: DocumentId,
    pub document_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub heading: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
}
