//! What every function builds once per container and hands to its handler.

use std::sync::Arc;

use aws_config::{BehaviorVersion, SdkConfig};

use crate::adapters::clock::SystemClock;
use crate::adapters::dynamo::DynamoStore;
use crate::adapters::graph::GraphClient;
use crate::adapters::sqs::SqsTriggerQueue;
use crate::config::{Config, ConfigError};
use crate::ports::{Clock, Store, TriggerQueue, WhatsApp};
use crate::usecases::inbound::NumberCache;

/// Cheap to clone: every field is shared.
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub queue: Arc<dyn TriggerQueue>,
    pub clock: Arc<dyn Clock>,
    pub whatsapp: Arc<dyn WhatsApp>,
    /// Only the webhook has them; it refuses to start without.
    pub webhook: Option<Arc<WebhookSecrets>>,
    pub numbers: Arc<NumberCache>,
}

/// What Meta's webhook is checked with.
pub struct WebhookSecrets {
    /// Signs every POST (`X-Hub-Signature-256`).
    pub app_secret: String,
    /// Answers the subscription handshake.
    pub verify_token: String,
}

impl WebhookSecrets {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            app_secret: crate::config::required("WHATSAPP_APP_SECRET", "the Meta app secret that signs webhooks")?,
            verify_token: crate::config::required("WHATSAPP_VERIFY_TOKEN", "the token Meta's webhook handshake must echo")?,
        })
    }
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
        Ok(Self::new(
            Arc::new(DynamoStore::new(dynamodb, &config.table_name)),
            Arc::new(SqsTriggerQueue::new(sqs, &config.queue_url)),
            Arc::new(SystemClock),
            Arc::new(whatsapp),
        ))
    }

    pub fn new(store: Arc<dyn Store>, queue: Arc<dyn TriggerQueue>, clock: Arc<dyn Clock>, whatsapp: Arc<dyn WhatsApp>) -> Self {
        Self { store, queue, clock, whatsapp, webhook: None, numbers: Arc::new(NumberCache::default()) }
    }

    pub fn with_webhook_secrets(mut self, secrets: WebhookSecrets) -> Self {
        self.webhook = Some(Arc::new(secrets));
        self
    }
}
