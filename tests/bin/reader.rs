//! The file reader the end-to-end tests start, as the worker starts itself in Lambda.
fn main() {
    colloquy_adapters::reading::serve_if_reader();
    eprintln!("colloquy-reader only reads files for the tests' worker (COLLOQUY_READER unset)");
    std::process::exit(2);
}
