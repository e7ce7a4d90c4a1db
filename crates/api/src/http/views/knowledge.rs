//! Knowledge bases, their documents and a search's results, as the API shows them.

use serde::Serialize;

use crate::model::{timestamp, DocumentId, KnowledgeBaseId};
use colloquy_domain::knowledge::documents::UploadTicket;
use colloquy_domain::knowledge::model::{Document, Hit, KnowledgeBase, Snapshot, Source, Status};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotView {
    pub id: String,
    pub built_at: String,
    pub documents: u32,
    pub chunks: u32,
    pub bytes: u64,
    /// Whether its chunks are embedded: searches then rank by meaning as well as words.
    pub embedded: bool,
}

impl From<&Snapshot> for SnapshotView {
    fn from(s: &Snapshot) -> Self {
        Self {
            id: s.id.clone(),
            built_at: timestamp::format(s.built_at),
            documents: s.documents,
            chunks: s.chunks,
            bytes: s.bytes,
            embedded: s.embedded,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KnowledgeBaseView {
    pub id: KnowledgeBaseId,
    pub name: String,
    pub description: String,
    /// What searches read now; `null` before the first rebuild.
    pub snapshot: Option<SnapshotView>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&KnowledgeBase> for KnowledgeBaseView {
    fn from(b: &KnowledgeBase) -> Self {
        Self {
            id: b.id.clone(),
            name: b.name.clone(),
            description: b.description.clone(),
            snapshot: b.snapshot.as_ref().map(SnapshotView::from),
            created_at: timestamp::format(b.created_at),
            updated_at: timestamp::format(b.updated_at),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentView {
    pub id: DocumentId,
    pub knowledge_base_id: KnowledgeBaseId,
    pub name: String,
    /// `text`, `url` or `upload`.
    pub source: &'static str,
    pub url: Option<String>,
    /// `text`, `markdown`, `pdf` or `html`, once read.
    pub format: Option<&'static str>,
    /// `awaiting_upload`, `pending`, `indexed` or `failed`.
    pub status: &'static str,
    /// Why it failed.
    pub failure_reason: Option<String>,
    pub size_bytes: u64,
    pub chunk_count: u32,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Document> for DocumentView {
    fn from(d: &Document) -> Self {
        let (source, url) = match &d.source {
            Source::Text => ("text", None),
            Source::Url(url) => ("url", Some(url.clone())),
            Source::Upload(_) => ("upload", None),
        };
        Self {
            id: d.id.clone(),
            knowledge_base_id: d.knowledge_base_id.clone(),
            name: d.name.clone(),
            source,
            url,
            format: d.format.map(|f| f.as_str()),
            status: d.status.as_str(),
            failure_reason: match &d.status {
                Status::Failed(why) => Some(why.clone()),
                _ => None,
            },
            size_bytes: d.size_bytes,
            chunk_count: d.chunk_count,
            created_at: timestamp::format(d.created_at),
            updated_at: timestamp::format(d.updated_at),
        }
    }
}

/// A document as added: with where to upload its file, when it is one.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AddedView {
    #[serde(flatten)]
    pub document: DocumentView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload: Option<UploadView>,
}

/// `PUT` the file to `url` with exactly these headers before `expiresAt`, then
/// `POST …/documents/{id}/uploaded/`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadView {
    pub url: String,
    pub method: &'static str,
    pub headers: std::collections::BTreeMap<&'static str, String>,
    pub expires_at: String,
}

impl From<&UploadTicket> for UploadView {
    fn from(t: &UploadTicket) -> Self {
        let headers = [("Content-Type", t.content_type.clone()), ("Content-Length", t.size_bytes.to_string())]
            .into_iter()
            .collect();
        Self { url: t.url.clone(), method: "PUT", headers, expires_at: timestamp::format(t.expires_at) }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HitView {
    pub document_id: DocumentId,
    pub document_name: String,
    /// Its headings, outermost first, joined by " › "; empty when it has none.
    pub heading: String,
    pub page: Option<u32>,
    pub text: String,
    pub score: f32,
}

impl From<&Hit> for HitView {
    fn from(h: &Hit) -> Self {
        Self {
            document_id: h.chunk.document_id.clone(),
            document_name: h.chunk.document_name.clone(),
            heading: h.chunk.heading.clone(),
            page: h.chunk.page,
            text: h.chunk.text.clone(),
            score: h.score,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchView {
    pub results: Vec<HitView>,
    /// The snapshot searched; `null` before the first rebuild (and `results` is empty).
    pub snapshot: Option<SnapshotView>,
}
