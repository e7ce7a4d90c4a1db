//! A knowledge base's chunks as a tantivy index (BM25, English stemming), built in memory and
//! kept as one blob: its files, each as a name and its bytes. Loading reads the blob back into
//! memory; nothing touches a disk.

use std::path::{Path, PathBuf};

use tantivy::collector::TopDocs;
use tantivy::directory::RamDirectory;
use tantivy::query::QueryParser;
use tantivy::schema::{Field, Schema, Value, FAST, INDEXED, STORED, STRING};
use tantivy::schema::{IndexRecordOption, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer,
};
use tantivy::{Directory, DocAddress, Index, IndexReader, TantivyDocument};

use super::vectors::{self, Vectors};
use colloquy_domain::knowledge::model::{Chunk, Hit};
use colloquy_domain::knowledge::port::Query;
use colloquy_domain::model::DocumentId;

/// The blob's first bytes (and its format's version).
const MAGIC: &[u8; 4] = b"CKB1";
/// The indexing threads' memory: one thread, the smallest arena tantivy takes, so that a
/// snapshot is one segment.
const WRITER_MEMORY_BYTES: usize = 50_000_000;
/// A query's words count this much more when they are in a heading or the document's name.
const HEADING_BOOST: f32 = 1.5;

/// Words lower-cased, English stop words ("the", "is", "how") dropped, the rest stemmed ("dogs"
/// finds "dog"): a question's filler words would otherwise outrank what it asks about in short
/// chunks.
const ANALYZER: &str = "colloquy_en";

fn register_analyzer(index: &Index) {
    let mut builder = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .dynamic();
    if let Some(stop_words) = StopWordFilter::new(Language::English) {
        builder = builder.filter_dynamic(stop_words);
    }
    index.tokenizers().register(ANALYZER, builder.filter_dynamic(Stemmer::new(Language::English)).build());
}

struct Fields {
    text: Field,
    heading: Field,
    document_name: Field,
    document_id: Field,
    page: Field,
    /// The chunk's place in the order it was indexed: its vector's.
    ordinal: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let stemmed = TextOptions::default().set_stored().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(ANALYZER).set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let fields = Fields {
        text: builder.add_text_field("text", stemmed.clone()),
        heading: builder.add_text_field("heading", stemmed.clone()),
        document_name: builder.add_text_field("document_name", stemmed),
        document_id: builder.add_text_field("document_id", STRING | STORED),
        page: builder.add_u64_field("page", INDEXED | STORED),
        ordinal: builder.add_u64_field("ordinal", FAST),
    };
    (builder.build(), fields)
}

fn failed(what: &str, err: impl std::fmt::Display) -> String {
    format!("{what}: {err}")
}

/// The index of `chunks`, as one blob.
pub fn build(chunks: &[Chunk]) -> Result<Vec<u8>, String> {
    let (schema, fields) = schema();
    let index = Index::create_in_ram(schema);
    register_analyzer(&index);
    let mut writer = index
        .writer_with_num_threads::<TantivyDocument>(1, WRITER_MEMORY_BYTES)
        .map_err(|err| failed("cannot start indexing", err))?;
    for (ordinal, chunk) in chunks.iter().enumerate() {
        let mut document = TantivyDocument::default();
        document.add_u64(fields.ordinal, ordinal as u64);
        document.add_text(fields.text, &chunk.text);
        document.add_text(fields.heading, &chunk.heading);
        document.add_text(fields.document_name, &chunk.document_name);
        document.add_text(fields.document_id, chunk.document_id.as_str());
        if let Some(page) = chunk.page {
            document.add_u64(fields.page, u64::from(page));
        }
        writer.add_document(document).map_err(|err| failed("cannot index a chunk", err))?;
    }
    writer.commit().map_err(|err| failed("cannot commit the index", err))?;
    writer.wait_merging_threads().map_err(|err| failed("cannot finish the index", err))?;
    let directory = index.directory();
    let mut files: Vec<PathBuf> = directory.list_managed_files().into_iter().collect();
    files.extend([PathBuf::from("meta.json"), PathBuf::from(".managed.json")]);
    files.sort();
    files.dedup();
    let mut blob = MAGIC.to_vec();
    for path in files {
        if !directory.exists(&path).map_err(|err| failed("cannot list the index", err))? {
            continue;
        }
        let bytes = directory.atomic_read(&path).map_err(|err| failed("cannot read the index", err))?;
        append(&mut blob, &path.to_string_lossy(), &bytes);
    }
    if let Some(bytes) = vectors::encode(chunks) {
        append(&mut blob, vectors::FILE, &bytes);
    }
    Ok(blob)
}

fn append(blob: &mut Vec<u8>, name: &str, bytes: &[u8]) {
    blob.extend_from_slice(&(name.len() as u32).to_le_bytes());
    blob.extend_from_slice(name.as_bytes());
    blob.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    blob.extend_from_slice(bytes);
}

/// A snapshot loaded into memory, ready to search.
pub struct Loaded {
    reader: IndexReader,
    parser: QueryParser,
    fields: Fields,
    /// The chunks' embeddings, and where each chunk is in the index (by ordinal).
    vectors: Option<(Vectors, Vec<DocAddress>)>,
}

/// A contact's words as words: the query language's syntax (`field:`, `*`, quotes, brackets,
/// upper-case `AND`/`OR`/`NOT`) means nothing to them, and some of it fails at search time
/// (`a:*`), so everything but letters and digits becomes a space and the rest is lower-cased.
fn plain_words(text: &str) -> String {
    text.chars().map(|c| if c.is_alphanumeric() { c.to_lowercase().next().unwrap_or(c) } else { ' ' }).collect()
}

/// Candidates each ranking gives the fusion of words and meaning.
const CANDIDATES: usize = 50;
/// Reciprocal rank fusion's constant.
const FUSION_K: f32 = 60.0;

/// Reads a blob `build` made. A blob that is not one (cut short, another format) is refused.
pub fn load(blob: &[u8]) -> Result<Loaded, String> {
    let Some(mut rest) = blob.strip_prefix(MAGIC.as_slice()) else {
        return Err("not a knowledge snapshot".into());
    };
    let directory = RamDirectory::create();
    let mut vector_bytes = None;
    while !rest.is_empty() {
        let (name, after) = take(rest, 4).and_then(|(len, after)| take(after, le_u32(len)?)).ok_or(CUT_SHORT)?;
        let (bytes, after) = take(after, 8).and_then(|(len, after)| take(after, le_u64(len)?)).ok_or(CUT_SHORT)?;
        let name = std::str::from_utf8(name).map_err(|_| CUT_SHORT.to_owned())?;
        rest = after;
        if name == vectors::FILE {
            vector_bytes = Some(bytes);
            continue;
        }
        directory.atomic_write(Path::new(name), bytes).map_err(|err| failed("cannot load the index", err))?;
    }
    let index = Index::open(directory).map_err(|err| failed("cannot open the index", err))?;
    register_analyzer(&index);
    let (_, fields) = schema();
    let reader = index.reader().map_err(|err| failed("cannot read the index", err))?;
    let mut parser = QueryParser::for_index(&index, vec![fields.text, fields.heading, fields.document_name]);
    parser.set_field_boost(fields.heading, HEADING_BOOST);
    parser.set_field_boost(fields.document_name, HEADING_BOOST);
    let vectors = match vector_bytes {
        Some(bytes) => {
            let addresses = addresses_by_ordinal(&reader)?;
            Some((Vectors::decode(bytes, addresses.len())?, addresses))
        }
        None => None,
    };
    Ok(Loaded { reader, parser, fields, vectors })
}

/// Where each chunk is, by the order it was indexed in.
fn addresses_by_ordinal(reader: &IndexReader) -> Result<Vec<DocAddress>, String> {
    let searcher = reader.searcher();
    let count = searcher.num_docs() as usize;
    let mut addresses = vec![None; count];
    for (segment, segment_reader) in searcher.segment_readers().iter().enumerate() {
        let column = segment_reader.fast_fields().u64("ordinal").map_err(|err| failed("cannot read the index", err))?;
        for doc in 0..segment_reader.max_doc() {
            let Some(ordinal) = column.first(doc).and_then(|o| usize::try_from(o).ok()) else { continue };
            let slot = addresses.get_mut(ordinal).ok_or_else(|| CUT_SHORT.to_owned())?;
            *slot = Some(DocAddress::new(segment as u32, doc));
        }
    }
    addresses.into_iter().map(|a| a.ok_or_else(|| CUT_SHORT.to_owned())).collect()
}

const CUT_SHORT: &str = "the knowledge snapshot is cut short or malformed";

fn take(bytes: &[u8], n: usize) -> Option<(&[u8], &[u8])> {
    (bytes.len() >= n).then(|| bytes.split_at(n))
}

fn le_u32(bytes: &[u8]) -> Option<usize> {
    Some(u32::from_le_bytes(bytes.try_into().ok()?) as usize)
}

fn le_u64(bytes: &[u8]) -> Option<usize> {
    usize::try_from(u64::from_le_bytes(bytes.try_into().ok()?)).ok()
}

impl Loaded {
    /// The best `limit` chunks for `query`, best first. Any text is a query: what the query
    /// language cannot parse is searched as words.
    pub fn search(&self, query: &Query, limit: usize) -> Result<Vec<Hit>, String> {
        let limit = limit.max(1);
        let (parsed, _) = self.parser.parse_query_lenient(&plain_words(&query.text));
        let searcher = self.reader.searcher();
        let by_words = searcher
            .search(&parsed, &TopDocs::with_limit(limit.max(CANDIDATES)).order_by_score())
            .map_err(|err| failed("the search failed", err))?;
        let mut top = match (&query.embedding, &self.vectors) {
            (Some(embedding), Some((vectors, addresses))) if embedding.len() == vectors.dimensions() => {
                let by_meaning = vectors
                    .nearest(embedding, limit.max(CANDIDATES))
                    .into_iter()
                    .filter_map(|(ordinal, similarity)| Some((similarity, *addresses.get(ordinal)?)));
                fused(by_words.into_iter(), by_meaning)
            }
            _ => by_words,
        };
        top.truncate(limit);
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let document: TantivyDocument = searcher.doc(address).map_err(|err| failed("cannot read a chunk", err))?;
            let text = |field: Field| document.get_first(field).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
            let page =
                document.get_first(self.fields.page).and_then(|v| v.as_u64()).and_then(|p| u32::try_from(p).ok());
            hits.push(Hit {
                chunk: Chunk {
                    document_id: DocumentId::from_raw(text(self.fields.document_id)),
                    document_name: text(self.fields.document_name),
                    heading: text(self.fields.heading),
                    page,
                    text: text(self.fields.text),
                    embedding: None,
                },
                score,
            });
        }
        Ok(hits)
    }
}

/// Two rankings as one, by reciprocal rank: a chunk first by meaning and tenth by words
/// outranks one that only one of them found, whatever their raw scores.
fn fused(
    by_words: impl Iterator<Item = (f32, DocAddress)>,
    by_meaning: impl Iterator<Item = (f32, DocAddress)>,
) -> Vec<(f32, DocAddress)> {
    let mut scores: Vec<(f32, DocAddress)> = Vec::new();
    for ranking in [by_words.collect::<Vec<_>>(), by_meaning.collect()] {
        for (rank, (_, address)) in ranking.into_iter().enumerate() {
            let score = 1.0 / (FUSION_K + rank as f32 + 1.0);
            match scores.iter_mut().find(|(_, a)| *a == address) {
                Some((total, _)) => *total += score,
                None => scores.push((score, address)),
            }
        }
    }
    scores.sort_by(|a, b| b.0.total_cmp(&a.0));
    scores
}

#[cfg(test)]
#[path = "index_tests.rs"]
mod tests;
