//! Adapters: the ports implemented on AWS and on the system clock.

pub mod aws_http;
pub mod clock;
pub mod dynamo;
pub mod graph;
pub mod https;
pub mod llm;
pub mod memory;
pub mod outbound;
pub mod sqs;
pub mod vault;
pub mod webhook;
