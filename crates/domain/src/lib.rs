//! Colloquy's domain: one folder per capability, each holding its model (`model.rs`), the port
//! it is kept through (`port.rs`) and its use cases (`mod.rs`); `model` holds the values every
//! capability shares (ids, limits, timestamps, pages) and names the main types of each;
//! `ports` lists every port, with the infrastructure ones (the queue, the LLM, WhatsApp, the
//! clock) that belong to no one capability.
//!
//! This crate depends on no AWS, Lambda or HTTP crate (`scripts/check-layers` keeps it so): data
//! flows function → use case → port, and the adapters crate implements the ports.

pub mod cached;
pub mod error;
pub mod model;
pub mod optimistic;
pub mod ports;

pub mod agents;
pub mod analysis;
pub mod api_keys;
pub mod audit;
pub mod console_sessions;
pub mod contacts;
pub mod conversations;
pub mod dead_letters;
pub mod due_work;
pub mod events;
pub mod inbound;
pub mod knowledge;
pub mod media;
pub mod metrics;
pub mod numbers;
pub mod policies;
pub mod prompts;
pub mod rate_limits;
pub mod reply;
pub mod retention;
pub mod test_suites;
pub mod tools;
pub mod usage;
pub mod workspaces;

pub use error::AppError;
