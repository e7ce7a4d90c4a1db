//! A knowledge base's chunks as a tantivy index (BM25, English stemming), built in memory and
//! kept as one blob: its files, each as a name and its bytes. Loading reads the blob back into
//! memory; nothing touches a disk.

use std::path::{Path, PathBuf};

use tantivy::collector::TopDocs;
use tantivy::directory::RamDirectory;
use tantivy::query::QueryParser;
use tantivy::schema::{Field, Schema, Value, INDEXED, STORED, STRING};
use tantivy::schema::{IndexRecordOption, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer,
};
use tantivy::{Directory, Index, IndexReader, TantivyDocument};

use colloquy_domain::knowledge::model::{Chunk, Hit};
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
    for chunk in chunks {
        let mut document = TantivyDocument::default();
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
        let name = path.to_string_lossy();
        blob.extend_from_slice(&(name.len() as u32).to_le_bytes());
        blob.extend_from_slice(name.as_bytes());
        blob.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        blob.extend_from_slice(&bytes);
    }
    Ok(blob)
}

/// A snapshot loaded into memory, ready to search.
pub struct Loaded {
    reader: IndexReader,
    parser: QueryParser,
    fields: Fields,
}

/// Reads a blob `build` made. A blob that is not one (cut short, another format) is refused.
pub fn load(blob: &[u8]) -> Result<Loaded, String> {
    let Some(mut rest) = blob.strip_prefix(MAGIC.as_slice()) else {
        return Err("not a knowledge snapshot".into());
    };
    let directory = RamDirectory::create();
    while !rest.is_empty() {
        let (name, after) = take(rest, 4).and_then(|(len, after)| take(after, le_u32(len)?)).ok_or(CUT_SHORT)?;
        let (bytes, after) = take(after, 8).and_then(|(len, after)| take(after, le_u64(len)?)).ok_or(CUT_SHORT)?;
        let name = std::str::from_utf8(name).map_err(|_| CUT_SHORT.to_owned())?;
        directory.atomic_write(Path::new(name), bytes).map_err(|err| failed("cannot load the index", err))?;
        rest = after;
    }
    let index = Index::open(directory).map_err(|err| failed("cannot open the index", err))?;
    register_analyzer(&index);
    let (_, fields) = schema();
    let reader = index.reader().map_err(|err| failed("cannot read the index", err))?;
    let mut parser = QueryParser::for_index(&index, vec![fields.text, fields.heading, fields.document_name]);
    parser.set_field_boost(fields.heading, HEADING_BOOST);
    parser.set_field_boost(fields.document_name, HEADING_BOOST);
    Ok(Loaded { reader, parser, fields })
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
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<Hit>, String> {
        let (query, _) = self.parser.parse_query_lenient(query);
        let searcher = self.reader.searcher();
        let top = searcher
            .search(&query, &TopDocs::with_limit(limit.max(1)).order_by_score())
            .map_err(|err| failed("the search failed", err))?;
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
                },
                score,
            });
        }
        Ok(hits)
    }
}

#[cfg(test)]
#[path = "index_tests.rs"]
mod tests;
