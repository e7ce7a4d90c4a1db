//! Every minute (EventBridge): queue a trigger for each conversation whose follow-up is due.
fn main() -> Result<(), colloquy_functions::lambda::Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(colloquy_functions::lambda::serve_scheduler())
}
