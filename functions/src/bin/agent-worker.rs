//! The SQS FIFO worker: calls the LLM, enforces policies, counts tokens, sends the reply. Reads
//! contacts' files in limited children of `file-reader`, deployed beside it.
fn main() -> Result<(), colloquy_functions::lambda::Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(colloquy_functions::lambda::serve_worker())
}
