//! A knowledge base's documents: added as text or as an HTTPS URL, replaced, deleted. Each
//! change is stored as `pending` and queues a rebuild of its knowledge base.

use sha2::{Digest, Sha256};

use super::model::{Document, Format, KnowledgeBase, Source, Status};
use super::{get as get_base, KnowledgePorts};
use crate::model::outbound_url::OutboundRules;
use crate::model::values::OutOfRange;
use crate::model::{DocumentId, KnowledgeBaseId, Page, PageRequest, Principal};
use crate::ports::{KnowledgeTrigger, StoreError, Trigger};
use crate::AppError;

/// A document's largest content, as sent or fetched.
pub const MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;
/// Documents one knowledge base holds.
pub const MAX_DOCUMENTS: usize = 500;
pub const MAX_DOCUMENT_NAME_CHARS: usize = 200;

/// What a document is made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// Plain text or Markdown.
    Text(String),
    /// An HTTPS URL the deployment's rules allow, fetched once by the rebuild.
    Url(String),
    /// A file the caller uploads through a presigned URL: its declared type and size.
    Upload { content_type: String, size_bytes: u64 },
}

/// The types a file may be declared as (its bytes must agree when it is read).
pub const UPLOAD_TYPES: [&str; 4] = ["application/pdf", "text/plain", "text/markdown", "text/html"];
/// How long an upload URL works.
pub const UPLOAD_URL_LIFETIME: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Where a caller puts a document's file, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadTicket {
    pub url: String,
    pub content_type: String,
    pub size_bytes: u64,
    pub expires_at: time::OffsetDateTime,
}

/// A document as added: with its upload ticket when it is a file to upload.
#[derive(Debug, Clone)]
pub struct Added {
    pub document: Document,
    pub upload: Option<UploadTicket>,
}

/// A declared upload: one of `UPLOAD_TYPES`, 1 byte to `MAX_DOCUMENT_BYTES`.
pub fn parse_upload(content_type: &str, size_bytes: u64) -> Result<Content, (&'static str, OutOfRange)> {
    let content_type = content_type.trim().to_ascii_lowercase();
    if !UPLOAD_TYPES.contains(&content_type.as_str()) {
        return Err(("upload.contentType", OutOfRange::new(format!("must be one of {}", UPLOAD_TYPES.join(", ")))));
    }
    if size_bytes == 0 || size_bytes > MAX_DOCUMENT_BYTES as u64 {
        let limit = MAX_DOCUMENT_BYTES / (1024 * 1024);
        return Err(("upload.sizeBytes", OutOfRange::new(format!("must be from 1 byte to {limit} MB"))));
    }
    Ok(Content::Upload { content_type, size_bytes })
}

/// Where an uploaded file lands, before it is completed.
pub fn upload_key(base: &KnowledgeBase, document: &Document) -> String {
    format!("{}{}/upload", super::files_prefix(base), document.id)
}

#[derive(Debug, Clone)]
pub struct NewDocument {
    pub name: String,
    pub content: Content,
}

pub fn parse_name(text: &str) -> Result<String, OutOfRange> {
    let name = text.trim();
    if name.is_empty() || name.chars().count() > MAX_DOCUMENT_NAME_CHARS {
        return Err(OutOfRange::new(format!("must be 1 to {MAX_DOCUMENT_NAME_CHARS} characters")));
    }
    Ok(name.to_owned())
}

pub fn parse_text(text: &str) -> Result<Content, OutOfRange> {
    if text.trim().is_empty() {
        return Err(OutOfRange::new("must not be blank"));
    }
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(OutOfRange::new(format!("must be at most {} MB", MAX_DOCUMENT_BYTES / (1024 * 1024))));
    }
    Ok(Content::Text(text.to_owned()))
}

/// An HTTPS address the deployment's outbound rules allow (private, loopback and link-local
/// addresses are refused).
pub fn parse_url(rules: &OutboundRules, text: &str) -> Result<Content, OutOfRange> {
    crate::tools::parse_url(rules, text).map(Content::Url)
}

/// SHA-256 of a document's content, hex.
pub fn content_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Where a document's content (by its hash) is kept.
pub fn content_key(base: &KnowledgeBase, document: &Document) -> String {
    format!("{}{}/{}.content", super::files_prefix(base), document.id, document.content_hash)
}

/// Where a document's chunks (by its content's hash) are kept.
pub fn chunks_key(base: &KnowledgeBase, document: &Document) -> String {
    format!("{}{}/{}.chunks.json", super::files_prefix(base), document.id, document.content_hash)
}

pub async fn add(
    ports: &KnowledgePorts<'_>,
    principal: &Principal,
    base_id: &KnowledgeBaseId,
    new: NewDocument,
) -> Result<Added, AppError> {
    let base = get_base(ports.store, principal, base_id).await?;
    if ports.store.all_documents(&base.workspace_id, &base.id).await?.len() >= MAX_DOCUMENTS {
        return Err(AppError::Conflict(format!(
            "the knowledge base holds {MAX_DOCUMENTS} documents, as many as it may: delete one, or use another knowledge base"
        )));
    }
    let now = ports.clock.now();
    let mut document = Document {
        id: DocumentId::generate(),
        workspace_id: base.workspace_id.clone(),
        knowledge_base_id: base.id.clone(),
        name: new.name.clone(),
        source: Source::Text,
        format: None,
        status: Status::Pending,
        content_hash: String::new(),
        size_bytes: 0,
        chunk_count: 0,
        created_at: now,
        updated_at: now,
        revision: 0,
    };
    let upload = match new.content {
        Content::Upload { content_type, size_bytes } => {
            document.source = Source::Upload(content_type.clone());
            document.status = Status::AwaitingUpload;
            document.size_bytes = size_bytes;
            let key = upload_key(&base, &document);
            let url = ports
                .files
                .presign_upload(&key, &content_type, size_bytes, UPLOAD_URL_LIFETIME)
                .await
                .map_err(|err| AppError::Internal(format!("no upload URL: {err}")))?;
            let expires_at = now + UPLOAD_URL_LIFETIME;
            Some(UploadTicket { url, content_type, size_bytes, expires_at })
        }
        content => {
            take_content(ports, &base, &mut document, content).await?;
            None
        }
    };
    ports.store.put_document(&document, None).await?;
    if upload.is_none() {
        queue_rebuild(ports, &document).await?;
    }
    Ok(Added { document, upload })
}

/// The caller has uploaded the file (`POST …/documents/{id}/uploaded/`): it is read back, kept
/// under its hash, and the document is pending until the rebuild it queues.
pub async fn complete_upload(
    ports: &KnowledgePorts<'_>,
    principal: &Principal,
    base_id: &KnowledgeBaseId,
    document_id: &DocumentId,
) -> Result<Document, AppError> {
    let base = get_base(ports.store, principal, base_id).await?;
    let current = get_in(ports, &base, document_id).await?;
    if current.status != Status::AwaitingUpload {
        return Err(AppError::Conflict(format!("the document is {}, not awaiting an upload", current.status.as_str())));
    }
    let Ok(bytes) = ports.files.get(&upload_key(&base, &current)).await else {
        return Err(AppError::Conflict(
            "the file has not been uploaded: PUT it to the URL the create call returned, then call this again".into(),
        ));
    };
    if bytes.is_empty() || bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(AppError::Conflict(format!(
            "the file must be 1 byte to {} MB",
            MAX_DOCUMENT_BYTES / (1024 * 1024)
        )));
    }
    let document = Document {
        status: Status::Pending,
        content_hash: content_hash(&bytes),
        size_bytes: bytes.len() as u64,
        updated_at: ports.clock.now(),
        revision: current.revision + 1,
        ..current.clone()
    };
    let content_type = match &document.source {
        Source::Upload(content_type) => content_type.clone(),
        _ => "application/octet-stream".to_owned(),
    };
    ports
        .files
        .put(&content_key(&base, &document), bytes, &content_type)
        .await
        .map_err(|err| AppError::Internal(format!("the file was not kept: {err}")))?;
    match ports.store.put_document(&document, Some(current.revision)).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            return Err(AppError::Conflict("the document changed meanwhile; read it again".into()))
        }
        Err(err) => return Err(err.into()),
    }
    queue_rebuild(ports, &document).await?;
    Ok(document)
}

/// Replaces a document's name and content (`PUT`): pending again until the next rebuild.
pub async fn replace(
    ports: &KnowledgePorts<'_>,
    principal: &Principal,
    base_id: &KnowledgeBaseId,
    document_id: &DocumentId,
    new: NewDocument,
) -> Result<Document, AppError> {
    let base = get_base(ports.store, principal, base_id).await?;
    let mut retries = crate::optimistic::Retries::new("the document");
    loop {
        retries.another().await?;
        let current = get_in(ports, &base, document_id).await?;
        let mut document = Document {
            name: new.name.clone(),
            status: Status::Pending,
            updated_at: ports.clock.now(),
            revision: current.revision + 1,
            ..current.clone()
        };
        take_content(ports, &base, &mut document, new.content.clone()).await?;
        match ports.store.put_document(&document, Some(current.revision)).await {
            Ok(()) => {
                queue_rebuild(ports, &document).await?;
                return Ok(document);
            }
            Err(StoreError::Conflict(_)) => continue,
            Err(err) => return Err(err.into()),
        }
    }
}

/// Sets the document's source from `content`; text is kept under its hash at once, a URL is
/// fetched by the rebuild.
async fn take_content(
    ports: &KnowledgePorts<'_>,
    base: &KnowledgeBase,
    document: &mut Document,
    content: Content,
) -> Result<(), AppError> {
    match content {
        Content::Text(text) => {
            document.source = Source::Text;
            document.format =
                Some(if super::chunk::has_headings(&text) { Format::Markdown } else { Format::PlainText });
            document.content_hash = content_hash(text.as_bytes());
            document.size_bytes = text.len() as u64;
            let key = content_key(base, document);
            ports
                .files
                .put(&key, text.into_bytes(), "text/markdown; charset=utf-8")
                .await
                .map_err(|err| AppError::Internal(format!("the document's text was not kept: {err}")))?;
        }
        Content::Url(url) => {
            document.source = Source::Url(url);
            document.format = None;
            document.content_hash = String::new();
            document.size_bytes = 0;
        }
        Content::Upload { .. } => {
            return Err(AppError::bad_request("a document's file is uploaded when it is added, not replaced by one"))
        }
    }
    Ok(())
}

async fn queue_rebuild(ports: &KnowledgePorts<'_>, document: &Document) -> Result<(), AppError> {
    let change = KnowledgeTrigger {
        id: format!("{}_{}", document.id, document.revision),
        workspace_id: document.workspace_id.clone(),
        knowledge_base_id: document.knowledge_base_id.clone(),
    };
    ports
        .queue
        .enqueue(&Trigger::Knowledge(change))
        .await
        .map_err(|err| AppError::Internal(format!("the rebuild was not queued: {err}")))
}

async fn get_in(
    ports: &KnowledgePorts<'_>,
    base: &KnowledgeBase,
    document_id: &DocumentId,
) -> Result<Document, AppError> {
    ports
        .store
        .get_document(&base.workspace_id, &base.id, document_id)
        .await?
        .ok_or_else(|| AppError::not_found(&format!("document `{document_id}`")))
}

pub async fn get(
    ports: &KnowledgePorts<'_>,
    principal: &Principal,
    base_id: &KnowledgeBaseId,
    document_id: &DocumentId,
) -> Result<Document, AppError> {
    let base = get_base(ports.store, principal, base_id).await?;
    get_in(ports, &base, document_id).await
}

pub async fn list(
    ports: &KnowledgePorts<'_>,
    principal: &Principal,
    base_id: &KnowledgeBaseId,
    page: &PageRequest,
) -> Result<Page<Document>, AppError> {
    let base = get_base(ports.store, principal, base_id).await?;
    Ok(ports.store.list_documents(&base.workspace_id, &base.id, page).await?)
}

/// Deletes a document and its files; the next rebuild leaves it out of the snapshot.
pub async fn delete(
    ports: &KnowledgePorts<'_>,
    principal: &Principal,
    base_id: &KnowledgeBaseId,
    document_id: &DocumentId,
) -> Result<(), AppError> {
    let base = get_base(ports.store, principal, base_id).await?;
    let document = get_in(ports, &base, document_id).await?;
    if !ports.store.delete_document(&document).await? {
        return Err(AppError::not_found(&format!("document `{document_id}`")));
    }
    let prefix = format!("{}{}/", super::files_prefix(&base), document.id);
    if let Err(err) = ports.files.delete_under(&prefix).await {
        tracing::warn!(error = %err, document = %document.id, "document files left behind");
    }
    let deleted = Document { revision: document.revision + 1, ..document };
    queue_rebuild(ports, &deleted).await
}
