//! Configuration from the environment, read once at start.

use std::env;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("missing configuration: set the environment variable {name} ({purpose})")]
    Missing { name: &'static str, purpose: &'static str },
}

#[derive(Debug, Clone)]
pub struct Config {
    /// The single DynamoDB table that holds all state.
    pub table_name: String,
    /// The SQS FIFO queue between the triggers and the agent worker.
    pub queue_url: String,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: required("TABLE_NAME", "the DynamoDB table that holds Colloquy's state")?,
            queue_url: required("QUEUE_URL", "the URL of the SQS FIFO trigger queue")?,
        })
    }
}

pub fn required(name: &'static str, purpose: &'static str) -> Result<String, ConfigError> {
    match env::var(name) {
        Ok(value) if !value.trim().is_empty() => Ok(value),
        _ => Err(ConfigError::Missing { name, purpose }),
    }
}
