//! The worker's file reader: reads one contact's file (a PDF's text, an image downscaled) in a
//! child process the worker starts with limits and an empty environment, answers on stdout and
//! exits. A binary of its own so that it can stay position-independent — hostile bytes are
//! parsed at a random address — while the worker, which starts on every cold start, need not
//! (`functions/build.rs`). Deployed beside the worker's `bootstrap`; the end-to-end tests build
//! it as `colloquy-reader`.
fn main() {
    colloquy_adapters::reading::serve_if_reader();
    eprintln!("this program only reads files for the Colloquy worker, which starts it");
    std::process::exit(2);
}
