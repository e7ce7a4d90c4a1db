//! Adapters: the ports implemented on AWS and on the system clock.

pub mod aws_http;
pub mod clock;
pub mod dynamo;
pub mod graph;
pub mod https;
pub mod llm;
pub mod memory;
pub mod outbound;
pub mod reading;
pub mod s3;
pub mod sqs;
pub mod transcription;
pub mod vault;
pub mod webhook;
