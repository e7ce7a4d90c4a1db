//! The one integration-test binary: every module runs against moto through the real adapters.

mod api_keys;
mod contract;
mod input;
mod queue;
mod workspace;
