//! Fed by the trigger dead-letter queue: records, for its workspace, a trigger whose last try
//! never finished (the worker records those whose last try failed).
fn main() -> Result<(), colloquy_functions::lambda::Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(colloquy_functions::lambda::serve_dead_letter_recorder())
}
