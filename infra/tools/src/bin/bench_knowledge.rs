//! Measures the knowledge-base snapshot on a real corpus: the Python 3.11 library reference as
//! Debian ships it (`apt-get install python3.11-doc`: about 300 HTML pages). Prints ingestion
//! time (HTML to text, chunking, indexing), the snapshot's size, its cold load time, warm search
//! latency (p50/p99) and recall@5 on a labelled question set written for that corpus
//! (`infra/tools/bench/knowledge-questions.tsv`): a question counts as answered when one of its
//! five results comes from the page that answers it.
//!
//! `cargo run --release -p colloquy-tools --bin colloquy-bench-knowledge -- [corpus dir] [questions.tsv]`

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use colloquy_adapters::knowledge::index;
use colloquy_adapters::reading::html_text;
use colloquy_domain::knowledge::chunk::{split, Page};
use colloquy_domain::knowledge::ingest::MAX_CHUNKS_PER_DOCUMENT;
use colloquy_domain::knowledge::model::Chunk;
use colloquy_domain::knowledge::port::Query;
use colloquy_domain::model::DocumentId;

const DEFAULT_CORPUS: &str = "/usr/share/doc/python3.11/html/library";
const WARM_ROUNDS: usize = 20;
const COLD_LOADS: usize = 5;
const K: usize = 5;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let corpus = PathBuf::from(args.next().unwrap_or_else(|| DEFAULT_CORPUS.to_owned()));
    let questions = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/knowledge-questions.tsv"));
    match run(&corpus, &questions) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("colloquy-bench-knowledge: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(corpus: &Path, questions: &Path) -> Result<(), String> {
    let questions = read_questions(questions)?;
    let mut pages: Vec<PathBuf> = std::fs::read_dir(corpus)
        .map_err(|err| format!("{}: {err} (apt-get install python3.11-doc)", corpus.display()))?
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "html"))
        .collect();
    pages.sort();

    let started = Instant::now();
    let mut bytes = 0usize;
    let mut chunks: Vec<Chunk> = Vec::new();
    let mut extract = Duration::ZERO;
    for page in &pages {
        let html = std::fs::read(page).map_err(|err| format!("{}: {err}", page.display()))?;
        bytes += html.len();
        let read = Instant::now();
        let text = html_text(&html).map_err(|err| format!("{}: {err}", page.display()))?;
        extract += read.elapsed();
        let name = page.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        for piece in split(&[Page { number: None, text }], MAX_CHUNKS_PER_DOCUMENT) {
            chunks.push(Chunk {
                document_id: DocumentId::from_raw(&name),
                document_name: name.clone(),
                heading: piece.headings.join(" › "),
                page: None,
                text: piece.text,
                embedding: None,
            });
        }
    }
    let read_and_split = started.elapsed();
    // `COLLOQUY_BENCH_SCALE=n` indexes the corpus n times over (as n distinct documents each), to
    // see how size, load and search grow past the real corpus.
    let scale: usize = std::env::var("COLLOQUY_BENCH_SCALE").ok().and_then(|n| n.parse().ok()).unwrap_or(1);
    let originals = chunks.clone();
    for copy in 1..scale {
        chunks.extend(originals.iter().map(|chunk| Chunk {
            document_id: DocumentId::from_raw(format!("copy{copy}-{}", chunk.document_id)),
            ..chunk.clone()
        }));
    }
    let indexing = Instant::now();
    let blob = index::build(&chunks)?;
    let indexed = indexing.elapsed();

    let mut loads = Vec::new();
    let mut loaded = None;
    for _ in 0..COLD_LOADS {
        let load = Instant::now();
        loaded = Some(index::load(&blob)?);
        loads.push(load.elapsed());
    }
    let loaded = loaded.ok_or("nothing loaded")?;
    // What a cold container pays before its first answer: the load and one search over cold
    // postings (the S3 GET of the snapshot comes on top).
    let first = Instant::now();
    index::load(&blob)?.search(&Query::words("How do I read a file line by line?"), K)?;
    let first_answer = first.elapsed();

    let mut answered = 0;
    for (question, page) in &questions {
        let hits = loaded.search(&Query::words(question), K)?;
        if hits.iter().any(|hit| hit.chunk.document_id.as_str() == page) {
            answered += 1;
        } else {
            let got: Vec<&str> = hits.iter().map(|hit| hit.chunk.document_id.as_str()).collect();
            eprintln!("  missed: {question} (wanted {page}, got {got:?})");
        }
    }
    let mut latencies = Vec::new();
    for _ in 0..WARM_ROUNDS {
        for (question, _) in &questions {
            let search = Instant::now();
            loaded.search(&Query::words(question), K)?;
            latencies.push(search.elapsed());
        }
    }

    println!("corpus                {} ({} pages, {:.1} MB of HTML)", corpus.display(), pages.len(), mb(bytes));
    println!("chunks                {}", chunks.len());
    println!(
        "ingestion             {:.2} s  (HTML to text {:.2} s, chunking the rest; indexing {:.2} s)",
        read_and_split.as_secs_f64(),
        extract.as_secs_f64(),
        indexed.as_secs_f64()
    );
    println!("snapshot              {:.1} MB", mb(blob.len()));
    println!(
        "cold load             median {:.0} ms, max {:.0} ms  ({COLD_LOADS} loads); load and first search {:.0} ms",
        ms(median(&mut loads.clone())),
        ms(*loads.iter().max().unwrap_or(&Duration::ZERO)),
        ms(first_answer)
    );
    latencies.sort();
    println!(
        "search, warm          p50 {:.2} ms, p99 {:.2} ms  ({} searches, top {K})",
        ms(percentile(&latencies, 50)),
        ms(percentile(&latencies, 99)),
        latencies.len()
    );
    println!(
        "recall@{K}              {:.2}  ({answered} of {} questions)",
        answered as f64 / questions.len() as f64,
        questions.len()
    );
    Ok(())
}

fn read_questions(path: &Path) -> Result<Vec<(String, String)>, String> {
    let text = std::fs::read_to_string(path).map_err(|err| format!("{}: {err}", path.display()))?;
    let questions: Vec<(String, String)> = text
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| line.split_once('\t'))
        .map(|(question, page)| (question.trim().to_owned(), page.trim().to_owned()))
        .collect();
    if questions.is_empty() {
        return Err(format!("{}: no questions", path.display()));
    }
    Ok(questions)
}

fn median(values: &mut [Duration]) -> Duration {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    let at = (sorted.len() * p / 100).min(sorted.len().saturating_sub(1));
    sorted.get(at).copied().unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}
