//! A knowledge base's rebuild, run by the worker on the knowledge base's FIFO group (one at a
//! time, in order): each pending document is read and split into chunks (kept under its
//! content's hash), then every indexed document's chunks become a new snapshot, and the
//! knowledge base is moved to it on condition that it still points where it did. A document
//! that cannot be read is `failed` with why; the others are indexed all the same.

use std::time::Duration;

use sha2::{Digest, Sha256};

use super::chunk::{self, Page, Piece};
use super::documents::{chunks_key, content_hash, content_key, MAX_DOCUMENT_BYTES};
use super::model::{Chunk, Document, Format, KnowledgeBase, Snapshot, Source, Status};
use super::KnowledgePorts;
use crate::ports::{KnowledgeTrigger, StoreError};

/// Chunks embedded in one request to the embeddings endpoint.
const EMBED_BATCH: usize = 64;

/// A chunk as a document's chunks file keeps it: with its embedding, when there is one, so that
/// a rebuild embeds only what changed.
#[derive(serde::Serialize, serde::Deserialize)]
struct KeptChunk {
    #[serde(flatten)]
    piece: Piece,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    embedding: Option<Vec<f32>>,
}

/// Chunks one document may make (about 5 MB of text).
pub const MAX_CHUNKS_PER_DOCUMENT: usize = 5_000;
/// A URL document is fetched within this.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(20);

/// Why a document was not indexed: its own fault (it is marked `failed`), or ours (the rebuild
/// is tried again).
enum Problem {
    Document(String),
    Ours(String),
}

pub async fn rebuild(ports: &KnowledgePorts<'_>, change: &KnowledgeTrigger) -> Result<(), String> {
    let store = ports.store;
    let found = store.get_knowledge_base(&change.workspace_id, &change.knowledge_base_id).await;
    let Some(base) = found.map_err(|err| err.to_string())? else { return Ok(()) };
    let mut documents = store.all_documents(&base.workspace_id, &base.id).await.map_err(|err| err.to_string())?;
    for document in documents.iter_mut().filter(|d| d.status == Status::Pending) {
        index_document(ports, &base, document).await?;
    }
    let indexed: Vec<&Document> = documents.iter().filter(|d| d.status == Status::Indexed).collect();
    let fingerprint = fingerprint(&indexed);
    if base.snapshot.as_ref().is_some_and(|s| s.fingerprint == fingerprint) {
        return Ok(());
    }
    let mut chunks = Vec::new();
    for document in &indexed {
        chunks.extend(chunks_of(ports, &base, document).await?);
    }
    let count = chunks.len() as u32;
    let embedded = !chunks.is_empty() && chunks.iter().all(|chunk| chunk.embedding.is_some());
    let (id, bytes) = ports.index.build(&base, chunks).await.map_err(|err| err.to_string())?;
    let snapshot = Snapshot {
        id,
        built_at: ports.clock.now(),
        documents: indexed.len() as u32,
        chunks: count,
        bytes,
        fingerprint,
        embedded,
    };
    let previous = base.snapshot.as_ref();
    match store.move_snapshot(&base, &snapshot, previous.map(|s| s.id.as_str())).await {
        Ok(()) => {
            tracing::info!(knowledge_base = %base.id, snapshot = %snapshot.id, chunks = count, bytes, "knowledge base rebuilt");
            if let Some(old) = previous {
                if let Err(err) = ports.index.retire(&base, old).await {
                    tracing::warn!(error = %err, "the old snapshot is left for the bucket's lifecycle");
                }
            }
            Ok(())
        }
        Err(err) => {
            let _ = ports.index.retire(&base, &snapshot).await;
            Err(format!("the knowledge base's snapshot was not moved: {err}"))
        }
    }
}

/// Reads, splits and keeps one pending document's chunks, and stores how it went. A document
/// changed meanwhile is left to the rebuild its change queued.
async fn index_document(
    ports: &KnowledgePorts<'_>,
    base: &KnowledgeBase,
    document: &mut Document,
) -> Result<(), String> {
    let expected = document.revision;
    match read_and_split(ports, base, document).await {
        Ok(count) => {
            document.status = Status::Indexed;
            document.chunk_count = count;
        }
        Err(Problem::Document(why)) => {
            tracing::info!(document = %document.id, reason = %why, "document not indexed");
            document.status = Status::Failed(why);
            document.chunk_count = 0;
        }
        Err(Problem::Ours(why)) => return Err(why),
    }
    document.updated_at = ports.clock.now();
    document.revision = expected + 1;
    match ports.store.put_document(document, Some(expected)).await {
        Ok(()) => Ok(()),
        // Replaced or deleted meanwhile: not part of this snapshot; its own rebuild follows.
        Err(StoreError::Conflict(_)) => {
            document.status = Status::Pending;
            Ok(())
        }
        Err(err) => Err(err.to_string()),
    }
}

async fn read_and_split(
    ports: &KnowledgePorts<'_>,
    base: &KnowledgeBase,
    document: &mut Document,
) -> Result<u32, Problem> {
    let bytes = content(ports, base, document).await?;
    let format = sniff(&bytes).map_err(Problem::Document)?;
    document.format = Some(match (document.format, format) {
        (Some(Format::Markdown), Format::PlainText) => Format::Markdown,
        _ => format,
    });
    let pages = match format {
        Format::Pdf => {
            let pages = ports
                .reader
                .pdf_pages(bytes)
                .await
                .map_err(|err| Problem::Document(format!("the PDF could not be read: {err}")))?;
            pages.into_iter().enumerate().map(|(i, text)| Page { number: Some(i as u32 + 1), text }).collect()
        }
        Format::Html => {
            let text = ports
                .reader
                .html_text(bytes)
                .await
                .map_err(|err| Problem::Document(format!("the HTML could not be read: {err}")))?;
            vec![Page { number: None, text }]
        }
        Format::PlainText | Format::Markdown => {
            vec![Page { number: None, text: String::from_utf8_lossy(&bytes).into_owned() }]
        }
    };
    let pieces = chunk::split(&pages, MAX_CHUNKS_PER_DOCUMENT + 1);
    if pieces.is_empty() {
        return Err(Problem::Document("it has no text to index (a scan, or an empty file?)".into()));
    }
    if pieces.len() > MAX_CHUNKS_PER_DOCUMENT {
        return Err(Problem::Document(format!(
            "it makes more than {MAX_CHUNKS_PER_DOCUMENT} chunks (about 5 MB of text): split it into several documents"
        )));
    }
    let kept: Vec<KeptChunk> = match embed(ports, &pieces).await? {
        Some(vectors) => {
            pieces.into_iter().zip(vectors).map(|(piece, v)| KeptChunk { piece, embedding: Some(v) }).collect()
        }
        None => pieces.into_iter().map(|piece| KeptChunk { piece, embedding: None }).collect(),
    };
    let json = serde_json::to_vec(&kept).map_err(|err| Problem::Ours(err.to_string()))?;
    let key = chunks_key(base, document);
    ports.files.put(&key, json, "application/json").await.map_err(|err| Problem::Ours(err.to_string()))?;
    Ok(kept.len() as u32)
}

/// The pieces' embeddings (their heading path and text), in batches; `None` without an embedder.
/// An endpoint that fails is ours to retry, not the document's fault.
async fn embed(ports: &KnowledgePorts<'_>, pieces: &[Piece]) -> Result<Option<Vec<Vec<f32>>>, Problem> {
    let Some(embedder) = ports.embedder else { return Ok(None) };
    let mut vectors = Vec::with_capacity(pieces.len());
    for batch in pieces.chunks(EMBED_BATCH) {
        let texts: Vec<String> = batch.iter().map(|p| format!("{}\n{}", p.headings.join(" › "), p.text)).collect();
        let embedded = embedder.embed(&texts).await.map_err(|err| Problem::Ours(format!("embeddings: {err}")))?;
        if embedded.len() != texts.len() {
            return Err(Problem::Ours(format!("embeddings: {} vectors for {} texts", embedded.len(), texts.len())));
        }
        vectors.extend(embedded);
    }
    Ok(Some(vectors))
}

/// The document's bytes: kept text, or the URL fetched now (and kept under its hash).
async fn content(
    ports: &KnowledgePorts<'_>,
    base: &KnowledgeBase,
    document: &mut Document,
) -> Result<Vec<u8>, Problem> {
    let Source::Url(url) = &document.source else {
        return ports.files.get(&content_key(base, document)).await.map_err(|err| Problem::Ours(err.to_string()));
    };
    let fetched = ports
        .fetcher
        .fetch(url, MAX_DOCUMENT_BYTES, FETCH_TIMEOUT)
        .await
        .map_err(|err| Problem::Document(format!("it could not be fetched: {err}")))?;
    document.content_hash = content_hash(&fetched.bytes);
    document.size_bytes = fetched.bytes.len() as u64;
    let content_type = fetched.content_type.unwrap_or_else(|| "application/octet-stream".into());
    let key = content_key(base, document);
    ports.files.put(&key, fetched.bytes.clone(), &content_type).await.map_err(|err| Problem::Ours(err.to_string()))?;
    Ok(fetched.bytes)
}

/// What the bytes are, whatever their name or the server said: a PDF, an HTML page, or text.
pub fn sniff(bytes: &[u8]) -> Result<Format, String> {
    if bytes.starts_with(b"%PDF-") {
        return Ok(Format::Pdf);
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err("it is not a PDF, an HTML page, Markdown or plain text (UTF-8)".into());
    };
    let start: String = text.trim_start_matches('\u{feff}').trim_start().chars().take(15).collect();
    let start = start.to_ascii_lowercase();
    if start.starts_with("<!doctype html") || start.starts_with("<html") {
        return Ok(Format::Html);
    }
    if text.contains('\0') {
        return Err("it is binary, not text".into());
    }
    Ok(if chunk::has_headings(text) { Format::Markdown } else { Format::PlainText })
}

async fn chunks_of(
    ports: &KnowledgePorts<'_>,
    base: &KnowledgeBase,
    document: &Document,
) -> Result<Vec<Chunk>, String> {
    let json = ports.files.get(&chunks_key(base, document)).await.map_err(|err| err.to_string())?;
    let kept: Vec<KeptChunk> =
        serde_json::from_slice(&json).map_err(|err| format!("a document's chunks are unreadable: {err}"))?;
    Ok(kept
        .into_iter()
        .map(|KeptChunk { piece, embedding }| Chunk {
            document_id: document.id.clone(),
            document_name: document.name.clone(),
            heading: piece.headings.join(" › "),
            page: piece.page,
            text: piece.text,
            embedding,
        })
        .collect())
}

/// What a snapshot is built from: each indexed document's id, content and name.
fn fingerprint(indexed: &[&Document]) -> String {
    let mut lines: Vec<String> = indexed.iter().map(|d| format!("{}:{}:{}", d.id, d.content_hash, d.name)).collect();
    lines.sort();
    hex::encode(Sha256::digest(lines.join("\n").as_bytes()))
}
