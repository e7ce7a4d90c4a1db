//! Every hour (EventBridge): delete messages and media older than their workspace's retention.
fn main() -> Result<(), colloquy_functions::lambda::Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(colloquy_functions::lambda::serve_retention())
}
