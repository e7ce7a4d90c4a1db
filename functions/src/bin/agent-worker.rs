//! The SQS FIFO worker: calls the LLM, enforces policies, counts tokens, sends the reply. Started
//! again by itself to read a contact's file in a limited child process.
fn main() -> Result<(), colloquy_functions::lambda::Error> {
    colloquy_adapters::reading::serve_if_reader();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(colloquy_functions::lambda::serve_worker())
}
