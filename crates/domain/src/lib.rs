//! Colloquy's domain: the model, the ports the use cases depend on, and the use cases.
//!
//! This crate depends on no AWS, Lambda or HTTP crate (`scripts/check-layers` keeps it so): data
//! flows function → use case → port, and the adapters crate implements the ports.

pub mod cached;
pub mod error;
pub mod model;
pub mod ports;
pub mod usecases;

pub use error::AppError;
