//! Reading what contacts send (the text of PDFs, images downscaled for vision models) in a child
//! process with memory, CPU-time and wall-time limits. A parser that overflows its stack, runs
//! out of memory or loops fails that one file, never the worker or another tenant's reply: a
//! stack overflow aborts the process it happens in, which unwinding cannot contain.
//!
//! The child is a program that calls [`serve_if_reader`] first in its `main`, started with
//! `COLLOQUY_READER` set and an otherwise empty environment: no AWS credentials or keys reach the
//! process that parses hostile bytes. In Lambda it is `file-reader`, deployed beside the worker
//! (a position-independent executable, unlike the worker); locally, the binary that runs the
//! worker starts itself.

mod child;
mod parse;

use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use async_trait::async_trait;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub use child::serve_if_reader;
pub use parse::{downscale, html_text, pdf_text};

use crate::ports::{FileReader, Unreadable};

/// Set in the child's environment: which job it does (`pdf-text`, `jpeg:<max side>`).
const MODE_VAR: &str = "COLLOQUY_READER";
/// The child exits with this when it read the file and found it unreadable; stdout says why.
const EXIT_UNREADABLE: i32 = 3;
/// A Rust panic's exit code.
const EXIT_PANIC: i32 = 101;
/// What the child may print: a PDF's text is cut long before this, a 1024-pixel JPEG is far below.
const MAX_OUTPUT_BYTES: u64 = 8 * 1024 * 1024;
const MAX_STDERR_BYTES: u64 = 16 * 1024;

/// What one child may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReaderLimits {
    /// Address space (`RLIMIT_AS`): the file, the parser's allocations and the binary itself.
    pub memory_bytes: u64,
    /// CPU time (`RLIMIT_CPU`): past it the kernel stops the child.
    pub cpu_seconds: u64,
    /// Wall time, for a child that waits instead of computing; it is killed after it.
    pub wall: Duration,
}

impl Default for ReaderLimits {
    fn default() -> Self {
        Self { memory_bytes: 512 * 1024 * 1024, cpu_seconds: 5, wall: Duration::from_secs(10) }
    }
}

/// The file reader of the worker: each file in its own limited child process.
pub struct IsolatedReader {
    program: PathBuf,
    limits: ReaderLimits,
}

impl IsolatedReader {
    /// Children of `program`, which must call [`serve_if_reader`] first in its `main`.
    pub fn new(program: impl Into<PathBuf>, limits: ReaderLimits) -> Self {
        Self { program: program.into(), limits }
    }

    /// Children of the running binary (`colloquy-local`, the request benchmark).
    pub fn this_binary() -> Self {
        Self::new(this_binary(), ReaderLimits::default())
    }

    /// Children of `program` in the running binary's directory (the worker's `file-reader`).
    /// Missing, each file is reported unreadable with the reason: never read in the worker.
    pub fn beside_this_binary(program: &str) -> Self {
        let directory = this_binary().parent().map(PathBuf::from).unwrap_or_default();
        Self::new(directory.join(program), ReaderLimits::default())
    }

    /// The program whose children read files.
    pub fn program(&self) -> &std::path::Path {
        &self.program
    }

    async fn run(&self, mode: String, input: Vec<u8>) -> Result<Vec<u8>, Unreadable> {
        let mut command = tokio::process::Command::new(&self.program);
        command
            .env_clear()
            .env(MODE_VAR, mode)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let limits = self.limits;
        // SAFETY: `apply` only calls setrlimit(2), which is async-signal-safe, and allocates nothing.
        unsafe {
            command.pre_exec(move || child::apply(&limits));
        }
        let mut process =
            command.spawn().map_err(|err| Unreadable(format!("the file reader could not be started: {err}")))?;
        let stdin = process.stdin.take();
        let stdout = process.stdout.take();
        let stderr = process.stderr.take();
        let run = async move {
            let feed = async move {
                if let Some(mut stdin) = stdin {
                    // A child that stops early (a limit, a refusal) closes its end: not our error.
                    let _ = stdin.write_all(&input).await;
                }
            };
            let (_, out, err) =
                tokio::join!(feed, read_bounded(stdout, MAX_OUTPUT_BYTES), read_bounded(stderr, MAX_STDERR_BYTES));
            let status = process.wait().await;
            (status, out, err)
        };
        // On time-out the future is dropped with the child in it: `kill_on_drop` ends it.
        let Ok((status, out, err)) = tokio::time::timeout(self.limits.wall, run).await else {
            return Err(Unreadable(format!("reading it took longer than {} s", self.limits.wall.as_secs())));
        };
        let status = status.map_err(|err| Unreadable(format!("the file reader failed: {err}")))?;
        verdict(status, out, &String::from_utf8_lossy(&err), &self.limits)
    }
}

fn this_binary() -> PathBuf {
    // Without a path to itself (never on Linux), /proc/self/exe names it.
    std::env::current_exe().unwrap_or_else(|_| PathBuf::from("/proc/self/exe"))
}

async fn read_bounded(pipe: Option<impl tokio::io::AsyncRead + Unpin>, limit: u64) -> Vec<u8> {
    let mut buf = Vec::new();
    if let Some(pipe) = pipe {
        let _ = pipe.take(limit).read_to_end(&mut buf).await;
    }
    buf
}

/// What the child's end says of the file.
fn verdict(status: ExitStatus, out: Vec<u8>, stderr: &str, limits: &ReaderLimits) -> Result<Vec<u8>, Unreadable> {
    use std::os::unix::process::ExitStatusExt;
    if status.success() {
        return Ok(out);
    }
    let why = if status.code() == Some(EXIT_UNREADABLE) {
        String::from_utf8_lossy(&out).chars().take(300).collect()
    } else if stderr.contains("overflowed its stack") {
        "it nests too deeply to read".to_owned()
    } else if stderr.contains("memory allocation of") || stderr.contains("capacity overflow") {
        format!("reading it needs more than {} MB of memory", limits.memory_bytes / (1024 * 1024))
    } else if matches!(status.signal(), Some(libc::SIGXCPU | libc::SIGKILL)) {
        format!("reading it takes more than {} s", limits.cpu_seconds)
    } else if status.code() == Some(EXIT_PANIC) {
        "the file is malformed (its parser gave up)".to_owned()
    } else {
        format!("the file reader stopped ({status})")
    };
    Err(Unreadable(why))
}

#[async_trait]
impl FileReader for IsolatedReader {
    async fn pdf_text(&self, bytes: Vec<u8>) -> Result<String, Unreadable> {
        let out = self.run(child::PDF_TEXT.to_owned(), bytes).await?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    async fn pdf_pages(&self, bytes: Vec<u8>) -> Result<Vec<String>, Unreadable> {
        let out = self.run(child::PDF_PAGES.to_owned(), bytes).await?;
        Ok(String::from_utf8_lossy(&out).split(parse::PAGE_BREAK).map(str::to_owned).collect())
    }

    async fn html_text(&self, bytes: Vec<u8>) -> Result<String, Unreadable> {
        let out = self.run(child::HTML_TEXT.to_owned(), bytes).await?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    async fn image_as_jpeg(&self, bytes: Vec<u8>, max_side: u32) -> Result<Vec<u8>, Unreadable> {
        self.run(format!("{}{max_side}", child::JPEG_PREFIX), bytes).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    fn limits() -> ReaderLimits {
        ReaderLimits::default()
    }

    #[test]
    fn each_way_a_child_ends_is_told_apart() {
        let exited = |code: i32| ExitStatus::from_raw(code << 8);
        let signalled = ExitStatus::from_raw;
        assert_eq!(verdict(exited(0), b"text".to_vec(), "", &limits()), Ok(b"text".to_vec()));
        assert_eq!(
            verdict(exited(3), b"the PDF has no pages".to_vec(), "", &limits()),
            Err(Unreadable("the PDF has no pages".into()))
        );
        let overflow = "thread 'main' has overflowed its stack\nfatal runtime error: stack overflow";
        assert_eq!(
            verdict(signalled(libc::SIGABRT), Vec::new(), overflow, &limits()),
            Err(Unreadable("it nests too deeply to read".into()))
        );
        assert_eq!(
            verdict(signalled(libc::SIGABRT), Vec::new(), "memory allocation of 1073741824 bytes failed", &limits()),
            Err(Unreadable("reading it needs more than 512 MB of memory".into()))
        );
        assert_eq!(
            verdict(signalled(libc::SIGXCPU), Vec::new(), "", &limits()),
            Err(Unreadable("reading it takes more than 5 s".into()))
        );
        assert_eq!(
            verdict(exited(101), Vec::new(), "panicked at", &limits()),
            Err(Unreadable("the file is malformed (its parser gave up)".into()))
        );
        assert!(verdict(signalled(libc::SIGSEGV), Vec::new(), "", &limits()).is_err());
    }

    #[tokio::test]
    async fn a_reader_that_cannot_start_makes_the_file_unreadable_with_why() {
        let reader = IsolatedReader::new("/nonexistent/colloquy-reader", limits());
        let err = reader.pdf_text(b"%PDF-1.7".to_vec()).await.expect_err("no reader");
        assert!(err.0.contains("could not be started"), "{err:?}");
    }

    #[test]
    fn the_worker_s_reader_is_the_program_beside_its_binary() {
        let exe = std::env::current_exe().expect("the test binary has a path");
        let reader = IsolatedReader::beside_this_binary("file-reader");
        assert_eq!(reader.program(), exe.with_file_name("file-reader"));
        assert_eq!(reader.limits, ReaderLimits::default());
    }
}
