//! What every function builds once per container and hands to its handler.

use std::sync::Arc;

use aws_config::SdkConfig;

use crate::adapters::clock::SystemClock;
use crate::adapters::dynamo::DynamoStore;
use crate::adapters::graph::GraphClient;
use crate::adapters::llm::LlmClient;
use crate::adapters::outbound::HttpEventDelivery;
use crate::adapters::sqs::SqsTriggerQueue;
use crate::config::{Config, ConfigError};
use crate::ports::{ChatReply, ChatRequest, Clock, EventDelivery, Llm, LlmError, Store, TriggerQueue, WhatsApp};
use crate::usecases::events::WorkspaceCache;
use crate::usecases::inbound::NumberCache;
use crate::usecases::policies::PolicyCache;

/// Cheap to clone: every field is shared.
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub queue: Arc<dyn TriggerQueue>,
    pub clock: Arc<dyn Clock>,
    pub whatsapp: Arc<dyn WhatsApp>,
    pub llm: Arc<dyn Llm>,
    /// Only the webhook has them; it refuses to start without.
    pub webhook: Option<Arc<WebhookSecrets>>,
    pub numbers: Arc<NumberCache>,
    pub policies: Arc<PolicyCache>,
    pub workspaces: Arc<WorkspaceCache>,
    pub events: Arc<dyn EventDelivery>,
}

/// The LLM requests get answers within this.
pub const LLM_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(25);

/// Stands where no LLM is configured: every call says so.
struct NoLlm;

#[async_trait::async_trait]
impl Llm for NoLlm {
    async fn complete(&self, request: &ChatRequest) -> Result<ChatReply, LlmError> {
        Err(LlmError::NotConfigured(request.provider))
    }
}

/// Stands where no HTTP client could be built: every delivery says why (and is retried).
struct NoDelivery(String);

#[async_trait::async_trait]
impl EventDelivery for NoDelivery {
    async fn post(&self, _url: &str, _headers: &[(&str, String)], _body: String) -> Result<u16, String> {
        Err(self.0.clone())
    }
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
            verify_token: crate::config::required(
                "WHATSAPP_VERIFY_TOKEN",
                "the token Meta's webhook handshake must echo",
            )?,
        })
    }
}

impl App {
    /// Reads configuration and builds the AWS clients. `AWS_ENDPOINT_URL` points the SDK at a
    /// local stack.
    pub async fn from_env() -> Result<Self, ConfigError> {
        let config = Config::from_env()?;
        Self::on_aws(&crate::aws::load().await, &config)
    }

    pub fn on_aws(aws: &SdkConfig, config: &Config) -> Result<Self, ConfigError> {
        let dynamodb = aws_sdk_dynamodb::Client::new(aws);
        let sqs = aws_sdk_sqs::Client::new(aws);
        let whatsapp = GraphClient::new(config.graph.clone()).map_err(ConfigError::Invalid)?;
        let llm = LlmClient::new(config.openai.clone(), config.anthropic.clone(), LLM_TIMEOUT)
            .map_err(ConfigError::Invalid)?;
        let app = Self::new(
            Arc::new(DynamoStore::new(dynamodb, &config.table_name)),
            Arc::new(SqsTriggerQueue::new(sqs, &config.queue_url)),
            Arc::new(SystemClock),
            Arc::new(whatsapp),
        );
        Ok(app.with_llm(Arc::new(llm)))
    }

    /// Without an LLM: `with_llm` adds one where replies are made.
    pub fn new(
        store: Arc<dyn Store>,
        queue: Arc<dyn TriggerQueue>,
        clock: Arc<dyn Clock>,
        whatsapp: Arc<dyn WhatsApp>,
    ) -> Self {
        let llm: Arc<dyn Llm> = Arc::new(NoLlm);
        let events: Arc<dyn EventDelivery> = match HttpEventDelivery::new(std::time::Duration::from_secs(5)) {
            Ok(delivery) => Arc::new(delivery),
            Err(err) => Arc::new(NoDelivery(err)),
        };
        Self {
            store,
            queue,
            clock,
            whatsapp,
            llm,
            webhook: None,
            numbers: Arc::new(NumberCache::default()),
            policies: Arc::new(PolicyCache::default()),
            workspaces: Arc::new(WorkspaceCache::default()),
            events,
        }
    }

    pub fn with_llm(mut self, llm: Arc<dyn Llm>) -> Self {
        self.llm = llm;
        self
    }

    pub fn with_webhook_secrets(mut self, secrets: WebhookSecrets) -> Self {
        self.webhook = Some(Arc::new(secrets));
        self
    }
}
