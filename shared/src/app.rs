//! What every function builds once per container and hands to its handler.

use std::sync::Arc;

use aws_config::{BehaviorVersion, SdkConfig};

use crate::adapters::clock::SystemClock;
use crate::adapters::dynamo::DynamoStore;
use crate::adapters::graph::GraphClient;
use crate::adapters::sqs::SqsTriggerQueue;
use crate::config::{Config, ConfigError};
use crate::ports::{Clock, Store, TriggerQueue, WhatsApp};

/// Cheap to clone: every field is shared.
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub queue: Arc<dyn TriggerQueue>,
    pub clock: Arc<dyn Clock>,
    pub whatsapp: Arc<dyn WhatsApp>,
}

impl App {
    /// Reads configuration and builds the AWS clients. `AWS_ENDPOINT_URL` points the SDK at a
    /// local stack.
    pub async fn from_env() -> Result<Self, ConfigError> {
        let config = Config::from_env()?;
        let aws = aws_config::load_defaults(BehaviorVersion::latest()).await;
        Self::on_aws(&aws, &config)
    }

    pub fn on_aws(aws: &SdkConfig, config: &Config) -> Result<Self, ConfigError> {
        let dynamodb = aws_sdk_dynamodb::Client::new(aws);
        let sqs = aws_sdk_sqs::Client::new(aws);
        let whatsapp = GraphClient::new(config.graph.clone()).map_err(ConfigError::Invalid)?;
        Ok(Self {
            store: Arc::new(DynamoStore::new(dynamodb, &config.table_name)),
            queue: Arc::new(SqsTriggerQueue::new(sqs, &config.queue_url)),
            clock: Arc::new(SystemClock),
            whatsapp: Arc::new(whatsapp),
        })
    }
}
