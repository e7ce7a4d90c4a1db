//! Splitting a document's text into the chunks a search returns: along Markdown headings first
//! (a chunk never spans two sections, and keeps its section's heading path), then paragraphs,
//! then sentences and words for a paragraph too long on its own. Each chunk is at most
//! `MAX_CHUNK_CHARS`; a chunk that continues a section starts with the end of the one before
//! (`OVERLAP_CHARS`), so a sentence cut at a boundary is whole in one of them.

/// A chunk's longest text, in characters (about 250 tokens of English).
pub const MAX_CHUNK_CHARS: usize = 1_000;
/// How much of the previous chunk of the same section a chunk repeats, in characters.
pub const OVERLAP_CHARS: usize = 150;
/// Headings deeper than this are kept as text, not as a level of the path.
const MAX_HEADING_LEVEL: usize = 6;

/// One page of a document's text (a PDF's page; the whole text of any other document).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// 1-based; `None` for a document without pages.
    pub number: Option<u32>,
    pub text: String,
}

/// A piece of a document, as it is indexed and returned.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Piece {
    /// The headings it is under, outermost first.
    pub headings: Vec<String>,
    pub page: Option<u32>,
    pub text: String,
}

/// The chunks of a document's pages, in reading order; at most `max_chunks` (a document that
/// would make more is refused by the caller, which knows its limits).
pub fn split(pages: &[Page], max_chunks: usize) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut headings: Vec<(usize, String)> = Vec::new();
    for page in pages {
        let mut section = Section::default();
        for block in blocks(&page.text) {
            if pieces.len() >= max_chunks {
                return pieces;
            }
            if let Some((level, title)) = heading(block) {
                section.flush(&headings, page.number, &mut pieces);
                section = Section::default();
                headings.retain(|(outer, _)| *outer < level);
                headings.push((level, title));
                continue;
            }
            section.add(block, &headings, page.number, &mut pieces);
        }
        section.flush(&headings, page.number, &mut pieces);
    }
    pieces.truncate(max_chunks);
    pieces
}

/// The text of one section being gathered into a chunk.
#[derive(Default)]
struct Section {
    text: String,
    chars: usize,
    /// Whether `text` holds anything beyond the overlap carried from the previous chunk.
    fresh: bool,
}

impl Section {
    fn add(&mut self, block: &str, headings: &[(usize, String)], page: Option<u32>, out: &mut Vec<Piece>) {
        for part in pieces_of(block, MAX_CHUNK_CHARS - OVERLAP_CHARS - 2) {
            let part_chars = part.chars().count();
            if self.fresh && self.chars + 2 + part_chars > MAX_CHUNK_CHARS {
                let overlap = tail(&self.text, OVERLAP_CHARS).to_owned();
                self.flush(headings, page, out);
                self.chars = overlap.chars().count();
                self.text = overlap;
            }
            if !self.text.is_empty() {
                self.text.push_str("\n\n");
                self.chars += 2;
            }
            self.text.push_str(part);
            self.chars += part_chars;
            self.fresh = true;
        }
    }

    fn flush(&mut self, headings: &[(usize, String)], page: Option<u32>, out: &mut Vec<Piece>) {
        if self.fresh {
            let headings = headings.iter().map(|(_, title)| title.clone()).collect();
            out.push(Piece { headings, page, text: std::mem::take(&mut self.text) });
        }
        self.text.clear();
        self.chars = 0;
        self.fresh = false;
    }
}

/// Whether `text` has a Markdown heading (it is then taken as Markdown, else as plain text).
pub fn has_headings(text: &str) -> bool {
    text.lines().any(|line| heading(line.trim()).is_some())
}

/// Paragraphs and headings: runs of non-blank lines, a heading line always a block of its own.
fn blocks(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut end = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let line_start = offset;
        offset += line.len();
        let trimmed = line.trim();
        if trimmed.is_empty() || heading(trimmed).is_some() {
            if let Some(s) = start.take() {
                out.push(text[s..end].trim());
            }
            if !trimmed.is_empty() {
                out.push(trimmed);
            }
            continue;
        }
        start.get_or_insert(line_start);
        end = offset;
    }
    if let Some(s) = start {
        out.push(text[s..end].trim());
    }
    out.retain(|block| !block.is_empty());
    out
}

/// A Markdown ATX heading (`## Pets`): its level and title.
fn heading(line: &str) -> Option<(usize, String)> {
    let level = line.chars().take_while(|c| *c == '#').count();
    if level == 0 || level > MAX_HEADING_LEVEL || line.contains('\n') {
        return None;
    }
    let rest = &line[level..];
    if !rest.starts_with(' ') {
        return None;
    }
    let title = rest.trim().trim_end_matches('#').trim();
    (!title.is_empty()).then(|| (level, title.chars().take(200).collect()))
}

/// `block` cut into parts of at most `max` characters: at sentence ends where it can, else at
/// whitespace, else anywhere (a run of text without spaces).
fn pieces_of(block: &str, max: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = block.trim();
    while rest.chars().count() > max {
        let limit = rest.char_indices().nth(max).map_or(rest.len(), |(i, _)| i);
        let window = &rest[..limit];
        let cut =
            sentence_end(window).or_else(|| window.rfind(char::is_whitespace)).filter(|&i| i > 0).unwrap_or(limit);
        out.push(rest[..cut].trim());
        rest = rest[cut..].trim_start();
    }
    if !rest.is_empty() {
        out.push(rest);
    }
    out.retain(|part| !part.is_empty());
    out
}

/// The byte offset just after the last sentence end (`. `, `! `, `? `) in the second half of
/// `window`, so that parts are not tiny.
fn sentence_end(window: &str) -> Option<usize> {
    let half = window.len() / 2;
    window
        .match_indices(['.', '!', '?'])
        .map(|(i, mark)| i + mark.len())
        .rfind(|&i| i > half && window[i..].starts_with(char::is_whitespace))
}

/// The last `max` characters of `text`, starting at a word.
fn tail(text: &str, max: usize) -> &str {
    let count = text.chars().count();
    if count <= max {
        return text;
    }
    let start = text.char_indices().nth(count - max).map_or(0, |(i, _)| i);
    let from = &text[start..];
    match from.find(char::is_whitespace) {
        Some(space) => from[space..].trim_start(),
        None => from,
    }
}

#[cfg(test)]
#[path = "chunk_tests.rs"]
mod tests;
