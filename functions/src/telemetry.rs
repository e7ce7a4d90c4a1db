//! Structured logs: JSON lines on Lambda, readable lines locally.

use tracing_subscriber::EnvFilter;

/// Initialises tracing once. `RUST_LOG` sets the level (default `info`); `LOG_FORMAT=text`
/// gives human-readable lines for the local stack.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    let result = if std::env::var("LOG_FORMAT").as_deref() == Ok("text") {
        builder.try_init()
    } else {
        builder.json().try_init()
    };
    // A second call (tests, the local stack) keeps the first subscriber.
    drop(result);
}
