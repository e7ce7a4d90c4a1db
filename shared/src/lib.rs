//! Colloquy's domain crate: the model, the ports the use cases depend on, the adapters that
//! implement them on AWS, the HTTP plumbing shared by every API function, and the use cases.
//!
//! Data flows one way: function → use case → port → adapter → AWS. No AWS type appears in
//! `model`, `ports` or `usecases`.

pub mod adapters;
pub mod api;
pub mod app;
pub mod aws;
pub mod config;
pub mod error;
pub mod http;
pub mod lambda;
pub mod model;
pub mod ports;
pub mod scheduler;
pub mod telemetry;
pub mod usecases;
pub mod worker;

pub use app::{App, WebhookSecrets};
pub use error::AppError;
