//! The reader's side: limits set before the binary starts again, and the one job it does.

use std::io::{Read, Write};

use super::{ReaderLimits, EXIT_PANIC, EXIT_UNREADABLE, MODE_VAR};

pub(super) const PDF_TEXT: &str = "pdf-text";
pub(super) const PDF_PAGES: &str = "pdf-pages";
pub(super) const HTML_TEXT: &str = "html-text";
pub(super) const JPEG_PREFIX: &str = "jpeg:";
/// Larger than any file the worker hands over (documents are read up to `PDF_MAX_READ_BYTES`).
const MAX_INPUT_BYTES: u64 = 32 * 1024 * 1024;

/// The reading thread's stack: the 8 MB a main thread has on Linux.
const STACK_BYTES: usize = 8 * 1024 * 1024;

/// Call first in `main`: when this process was started as a file reader, reads the file from
/// stdin, answers on stdout and exits; otherwise returns at once.
pub fn serve_if_reader() {
    let Some(mode) = std::env::var_os(MODE_VAR) else { return };
    let mode = mode.to_string_lossy().into_owned();
    let mut input = Vec::new();
    if let Err(err) = std::io::stdin().take(MAX_INPUT_BYTES).read_to_end(&mut input) {
        finish(Err(format!("the file could not be read: {err}")));
    }
    // Parsed on a thread of its own: on musl (what Lambda runs) Rust knows no guard page for the
    // main thread, so a file that nests too deeply would end the reader with a bare SIGSEGV
    // instead of the stack overflow report the worker tells the contact about.
    let job =
        std::thread::Builder::new().name("reader".into()).stack_size(STACK_BYTES).spawn(move || read(&mode, &input));
    match job.map(std::thread::JoinHandle::join) {
        Ok(Ok(result)) => finish(result),
        // The panic was reported on stderr; exit as a panicking main thread would.
        Ok(Err(_)) => std::process::exit(EXIT_PANIC),
        Err(err) => finish(Err(format!("the file reader could not start: {err}"))),
    }
}

fn read(mode: &str, input: &[u8]) -> Result<Vec<u8>, String> {
    match mode {
        PDF_TEXT => super::parse::pdf_text(input).map(String::into_bytes),
        PDF_PAGES => super::parse::pdf_pages(input).map(String::into_bytes),
        HTML_TEXT => super::parse::html_text(input).map(String::into_bytes),
        other => match other.strip_prefix(JPEG_PREFIX).and_then(|side| side.parse::<u32>().ok()) {
            Some(max_side) => super::parse::downscale(input, max_side),
            None => Err(format!("unknown reader mode `{other}`")),
        },
    }
}

fn finish(result: Result<Vec<u8>, String>) -> ! {
    let mut stdout = std::io::stdout().lock();
    let (bytes, code) = match result {
        Ok(bytes) => (bytes, 0),
        Err(why) => (why.into_bytes(), EXIT_UNREADABLE),
    };
    let written = stdout.write_all(&bytes).and_then(|()| stdout.flush());
    std::process::exit(if written.is_ok() { code } else { 1 })
}

/// Runs in the forked child before `exec`: only setrlimit(2), which is async-signal-safe.
pub(super) fn apply(limits: &ReaderLimits) -> std::io::Result<()> {
    set(libc::RLIMIT_AS, limits.memory_bytes, limits.memory_bytes)?;
    // The soft limit sends SIGXCPU; a child that ignored it is killed at the hard one.
    set(libc::RLIMIT_CPU, limits.cpu_seconds, limits.cpu_seconds + 1)?;
    // No core files, no files written, no more descriptors than stdin, stdout and stderr need.
    set(libc::RLIMIT_CORE, 0, 0)?;
    set(libc::RLIMIT_FSIZE, 0, 0)?;
    set(libc::RLIMIT_NOFILE, 16, 16)
}

#[cfg(target_env = "gnu")]
type Resource = libc::__rlimit_resource_t;
#[cfg(not(target_env = "gnu"))]
type Resource = libc::c_int;

fn set(resource: Resource, soft: u64, hard: u64) -> std::io::Result<()> {
    let limit = libc::rlimit { rlim_cur: soft as libc::rlim_t, rlim_max: hard as libc::rlim_t };
    // SAFETY: `limit` is a valid rlimit that outlives the call.
    if unsafe { libc::setrlimit(resource, &limit) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}
