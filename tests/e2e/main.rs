//! The one integration-test binary: every module runs against moto through the real adapters.

mod api_keys;
mod contract;
mod input;
mod prompts;
mod prompt_limits;
mod queue;
mod workspace;
