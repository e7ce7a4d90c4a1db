//! Use cases: what the API does, in terms of the ports.

pub mod api_keys;
pub mod prompts;
pub mod workspaces;
