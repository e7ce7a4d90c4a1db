//! What the local stack sets up so that a person can talk to an agent at once.

/// The local webhook's secrets; `colloquy-say` signs with the same.
pub const LOCAL_APP_SECRET: &str = "local-app-secret";
pub const LOCAL_VERIFY_TOKEN: &str = "local-verify-token";
