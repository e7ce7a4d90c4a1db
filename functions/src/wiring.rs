//! The composition root: what a function builds once per container from its environment — the
//! table always, and only the other clients its route rows (or the worker) say it needs.

use std::sync::Arc;

use colloquy_adapters::aws;
use colloquy_adapters::clock::SystemClock;
use colloquy_adapters::config::{self, ConfigError, SecretValues};
use colloquy_adapters::dynamo::DynamoStore;
use colloquy_adapters::graph::GraphClient;
use colloquy_adapters::knowledge::snapshots::SnapshotIndex;
use colloquy_adapters::llm::{BedrockClient, EmbeddingsClient, LlmClient, EMBEDDINGS_TIMEOUT};
use colloquy_adapters::outbound::HttpEventDelivery;
use colloquy_adapters::reading::IsolatedReader;
use colloquy_adapters::s3::S3MediaStore;
use colloquy_adapters::sqs::SqsTriggerQueue;
use colloquy_adapters::transcription::{TranscriptionClient, TRANSCRIPTION_TIMEOUT};
use colloquy_adapters::vault::SecretsManagerVault;
use colloquy_api::app::NotBuilt;
use colloquy_api::{App, Needs, WebhookSecrets};
use colloquy_domain::ports::Secret;
use colloquy_domain::ports::{EVENT_DELIVERY_TIMEOUT, LLM_TIMEOUT};

/// The program that reads contacts' files for the worker, deployed beside its `bootstrap`.
pub const FILE_READER: &str = "file-reader";

/// The worker's file reader: children of `file-reader` beside its binary. A worker deployed
/// without it would report every contact's file unreadable: says so once, at start, where the
/// operator looks.
pub fn file_reader() -> Arc<IsolatedReader> {
    let reader = IsolatedReader::beside_this_binary(FILE_READER);
    if !reader.program().is_file() {
        tracing::error!(
            program = %reader.program().display(),
            "the file reader is missing beside the worker: contacts' files will be reported unreadable"
        );
    }
    Arc::new(reader)
}

/// The operators' metrics of `function` (its binary's name: a bounded dimension), as embedded
/// metric format lines on standard output.
pub fn metrics(function: &'static str) -> Arc<dyn colloquy_domain::metrics::Metrics> {
    Arc::new(colloquy_adapters::emf::EmfMetrics::new(function, colloquy_adapters::emf::Sink::Stdout))
}

/// Meta's app secret and verify token, from the function's secrets.
pub fn webhook_secrets(values: &SecretValues) -> Result<WebhookSecrets, ConfigError> {
    Ok(WebhookSecrets {
        app_secret: values.required("WHATSAPP_APP_SECRET", "the Meta app secret that signs webhooks")?,
        verify_token: values.required("WHATSAPP_VERIFY_TOKEN", "the token Meta's webhook handshake must echo")?,
    })
}

/// What a function builds, known when its binary is compiled. `from_env` is generic over it, so
/// each binary's copy has its needs as constants: the branches for clients it never builds are
/// folded away and the linker drops those adapters (S3, the knowledge index, Bedrock, the
/// vault…) from a function that does not use them.
pub trait Clients {
    const NEEDS: Needs;
}

/// Reads the configuration `C::NEEDS` asks for — a missing value fails here, naming it — and
/// builds those clients. `AWS_ENDPOINT_URL` points the SDK at a local stack.
pub async fn from_env<C: Clients>() -> Result<App, ConfigError> {
    // `C::NEEDS` at each use, not a local: a local would live in the future's state across the
    // awaits, where the compiler no longer sees it is a constant, and every branch would stay.
    let table_name = config::required("TABLE_NAME", "the DynamoDB table that holds Colloquy's state")?;
    let queue_url =
        C::NEEDS.queue.then(|| config::required("QUEUE_URL", "the URL of the SQS FIFO trigger queue")).transpose()?;
    let aws = aws::load().await?;
    let values = if C::NEEDS.secrets() { SecretValues::load(&aws).await? } else { SecretValues::default() };
    let graph = C::NEEDS.whatsapp.then(|| config::graph(&values)).transpose()?;
    let llm = C::NEEDS.llm.then(|| config::llm(&values));
    let secrets = C::NEEDS.webhook_secrets.then(|| webhook_secrets(&values)).transpose()?;
    let media_bucket = C::NEEDS
        .media
        .then(|| config::required("MEDIA_BUCKET", "the S3 bucket that keeps contacts' media"))
        .transpose()?;

    let mut app = App::new(
        Arc::new(DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), &table_name)),
        Arc::new(NotBuilt("the trigger queue")),
        Arc::new(SystemClock),
        Arc::new(NotBuilt("the WhatsApp Graph API client")),
    );
    if let Some(queue_url) = queue_url {
        app.queue = Arc::new(SqsTriggerQueue::new(aws_sdk_sqs::Client::new(&aws), &queue_url));
    }
    if let Some(graph) = graph {
        app.whatsapp = Arc::new(GraphClient::new(graph.graph).map_err(ConfigError::Invalid)?);
        let vault = Arc::new(SecretsManagerVault::new(SecretsManagerVault::on_first_use(&aws), graph.secrets_prefix));
        app = app.with_token_vault(vault, graph.default_token.map(Secret));
    }
    if let Some(llm) = llm {
        if let Some(transcription) = config::transcription(&values, llm.openai.as_ref()) {
            let client = TranscriptionClient::new(transcription.endpoint, transcription.model, TRANSCRIPTION_TIMEOUT)
                .map_err(ConfigError::Invalid)?;
            app.transcriber = Arc::new(client);
        }
        if let Some(embeddings) = config::embeddings(&values, llm.openai.as_ref())? {
            let client =
                EmbeddingsClient::new(embeddings.endpoint, embeddings.model, embeddings.dimensions, EMBEDDINGS_TIMEOUT)
                    .map_err(ConfigError::Invalid)?;
            app.embedder = Some(Arc::new(client));
        }
        let bedrock = BedrockClient::new(&aws, llm.bedrock, LLM_TIMEOUT);
        let client = LlmClient::new(llm.openai, llm.anthropic, LLM_TIMEOUT).map_err(ConfigError::Invalid)?;
        app.llm = Arc::new(client.with_bedrock(bedrock));
    }
    if let Some(bucket) = media_bucket {
        let s3 = S3MediaStore::on_first_use(&aws);
        app.knowledge = Arc::new(SnapshotIndex::new(s3.clone(), bucket.clone()));
        app.media = Arc::new(S3MediaStore::new(s3, bucket));
    }
    app.outbound = config::outbound_rules()?;
    app.allowed_models = config::allowed_models().map(Arc::from);
    app.rate_limits = config::rate_limits()?;
    if C::NEEDS.event_delivery {
        let delivery = Arc::new(
            HttpEventDelivery::new(EVENT_DELIVERY_TIMEOUT, app.outbound.clone()).map_err(ConfigError::Invalid)?,
        );
        app.fetcher = delivery.clone();
        app.events = delivery;
    }
    app.webhook = secrets.map(Arc::new);
    Ok(app)
}
