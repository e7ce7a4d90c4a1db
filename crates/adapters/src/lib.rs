//! Adapters: the domain's ports implemented on AWS, the Graph API, the LLM providers, HTTPS, the
//! system clock, and a limited child process that reads contacts' files. Also the configuration
//! read from the environment, which names these clients' settings.

pub mod aws;
pub mod aws_http;
pub mod clock;
pub mod config;
pub mod dynamo;
pub mod emf;
pub mod graph;
pub mod https;
pub mod knowledge;
pub mod llm;
pub mod outbound;
pub mod reading;
pub mod s3;
pub mod sqs;
pub mod transcription;
pub mod vault;

// The domain's modules by their short names, so an adapter reads `crate::ports::Store`.
use colloquy_domain::{model, ports};
