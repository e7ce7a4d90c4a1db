//! The SQS FIFO worker: calls the LLM, enforces policies, counts tokens, sends the reply.
fn main() -> Result<(), colloquy::lambda::Error> {
    tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(colloquy::lambda::serve_worker())
}
