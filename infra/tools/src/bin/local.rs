//! `colloquy-local`: the whole system on one machine. Finds or starts moto, creates the
//! template's table and queues on it, makes a dev workspace, and serves every API route on
//! `PORT` (default 3000) through the Lambda handlers.
//!
//! Environment: `PORT` (3000), `MOTO_PORT` (5000, DynamoDB; the next port serves SQS, Secrets Manager and S3), `COLLOQUY_DIR` (`.colloquy`, where the dev
//! key is written), `COLLOQUY_TABLE` (`colloquy-local`), `FOLLOW_UP_INTERVAL_SECONDS` (60),
//! `LLM_BASE_URL`/`LLM_API_KEY`/`LLM_MODEL` (else the local stand-in model), `BEDROCK_MODEL` (with
//! AWS credentials: the dev agent answers through Amazon Bedrock) and `BEDROCK_REGION`.

use colloquy_domain::model::outbound_url::OutboundRules;
use colloquy_tools::stack::local_vault;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use colloquy_adapters::dynamo::DynamoStore;
use colloquy_adapters::llm::{BedrockClient, BedrockConfig, Endpoint, LlmClient};
use colloquy_adapters::outbound::HttpEventDelivery;
use colloquy_adapters::sqs::SqsTriggerQueue;
use colloquy_domain::api_keys::model::hash_key;
use colloquy_domain::model::Provider;
use colloquy_domain::ports::Llm;
use colloquy_domain::ports::Store;
use colloquy_domain::workspaces::create_workspace;
use colloquy_functions::dead_letters::DeadLetterRecorder;
use colloquy_functions::worker::{SqsConsumer, Worker};
use colloquy_tools::event_source::LocalEventSource;
use colloquy_tools::{dev, graph_standin, llm_standin, moto, server, stack, template::Template};
use tokio::net::TcpListener;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> Result<T, String> {
    match std::env::var(name) {
        Ok(text) => text.parse().map_err(|_| format!("{name}={text} is not valid")),
        Err(_) => Ok(default),
    }
}

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap_or_else(|_| PathBuf::from("."))
}

fn main() -> ExitCode {
    // The worker reads contacts' files in children of this binary.
    colloquy_adapters::reading::serve_if_reader();
    match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime.block_on(serve()),
        Err(err) => {
            eprintln!("error: no async runtime: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn serve() -> ExitCode {
    if std::env::var_os("LOG_FORMAT").is_none() {
        std::env::set_var("LOG_FORMAT", "text");
    }
    colloquy_functions::telemetry::init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("colloquy-local: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let root = project_root();
    let port: u16 = env_or("PORT", 3000)?;
    let moto_port: u16 = env_or("MOTO_PORT", 5000)?;
    let state_dir = PathBuf::from(env_or("COLLOQUY_DIR", root.join(".colloquy").display().to_string())?);
    let table: String = env_or("COLLOQUY_TABLE", "colloquy-local".to_owned())?;

    let (aws, _moto, reused) = moto::start_or_reuse(&root, moto_port).await?;
    for (port, reused) in reused {
        let what = if port == moto_port { "DynamoDB" } else { "SQS and Secrets Manager" };
        if reused {
            println!("local AWS: reusing the moto server on port {port} for {what}; its state is kept");
        } else {
            println!("local AWS: started moto on port {port} for {what}; state is in memory and ends when this command stops");
        }
    }
    let template = Template::load_default().map_err(|err| err.to_string())?;
    let resources = stack::provision(&aws, &template, &table).await.map_err(|err| err.to_string())?;

    let store = Arc::new(DynamoStore::new(aws.dynamodb_client(), &resources.table_name));
    let (llm, llm_label, model) = llm(port).await?;
    let whatsapp = graph_standin::client(port).map_err(|err| format!("WhatsApp client: {err}"))?;
    let queue = SqsTriggerQueue::new(aws.sqs_client(), &resources.queue_url);
    let vault = local_vault(&aws, &resources.table_name);
    // The developer's receivers, and this port's own `/sample-tool`; never moto's ports.
    let receivers = colloquy_tools::local_receiver_ports()?.with(port);
    let rules = OutboundRules { loopback_http_ports: receivers.clone(), ..OutboundRules::default() };
    let events = Arc::new(HttpEventDelivery::new(colloquy_domain::ports::EVENT_DELIVERY_TIMEOUT, rules)?);
    let (transcriber, transcription_label) = transcriber(port)?;
    let fixture_media = graph_standin::load_fixture_media(&root)?;
    let mut app = dev::local_app(store.clone(), queue, vault, Arc::new(whatsapp), llm)
        .allowing_loopback_http(receivers)
        .with_event_delivery(events.clone())
        .with_knowledge(aws.knowledge_index(&resources.media_bucket), events)
        .with_media(aws.media_store(&resources.media_bucket), transcriber);
    app.rate_limits = colloquy_adapters::config::rate_limits().map_err(|err| err.to_string())?;
    let (embedder, knowledge_label) = embedder()?;
    app.embedder = embedder;
    let (key, workspace_id, prefix) = dev_key(store.as_ref(), &state_dir).await?;
    // Serving before the dev agent is set up: registering its number asks the Graph stand-in,
    // which this very server answers.
    let listener =
        TcpListener::bind(("127.0.0.1", port)).await.map_err(|err| format!("cannot listen on port {port}: {err}"))?;
    let mut served = tokio::spawn(server::serve(listener, app.clone()));
    dev::ensure_dev_agent(&app, &workspace_id, &prefix, &model, None).await?;

    let source = LocalEventSource::new(aws.sqs_client(), &resources.queue_url, 5).await?;
    tokio::spawn(keep_polling(source, Worker::new(app.clone()), "worker"));
    let dead_letters = LocalEventSource::new(aws.sqs_client(), &resources.dead_letter_queue_url, 5).await?;
    tokio::spawn(keep_polling(dead_letters, DeadLetterRecorder { app: app.clone() }, "dead-letter recorder"));

    let follow_up_every: u64 = env_or("FOLLOW_UP_INTERVAL_SECONDS", 60)?;
    let scheduler_app = app.clone();
    tokio::spawn(async move {
        let scheduled_event = serde_json::json!({"detail-type": "Scheduled Event", "source": "colloquy-local"});
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(follow_up_every)).await;
            if let Err(err) = colloquy_functions::scheduler::handle(&scheduler_app, scheduled_event.clone()).await {
                tracing::warn!(error = %err, "follow-up scheduler run failed");
            }
        }
    });

    println!();
    println!("Colloquy is running on http://127.0.0.1:{port}");
    println!("  table {}   queue {}", resources.table_name, resources.queue_url);
    println!("  dev admin key: {key}  (also in {})", state_dir.join("dev-api-key").display());
    println!("  operator console: http://127.0.0.1:{port}/console/  (sign in with the dev admin key)");
    println!(
        "  dev WhatsApp number {} ({}) answers with the agent \"Local assistant\"",
        dev::DEV_DISPLAY_NUMBER,
        dev::DEV_PHONE_NUMBER_ID
    );
    println!("  WhatsApp sends go to the local stand-in at http://127.0.0.1:{port}/graph and are printed here");
    println!("  LLM: {llm_label}");
    println!("  voice notes: {transcription_label}");
    println!(
        "  media bucket {} (moto S3); the stand-in serves the {fixture_media} media ids of events/whatsapp/",
        resources.media_bucket
    );
    println!("  send media: colloquy-say --image PATH [caption] | --voice PATH | --document PATH [caption]");
    println!("  knowledge bases search {knowledge_label}");
    println!("  follow-up scheduler runs every {follow_up_every} s (FOLLOW_UP_INTERVAL_SECONDS)");
    println!("  talk to the agent: cargo run -q -p colloquy-tools --bin colloquy-say -- \"Hello, is anyone there?\"");
    println!("  try: curl -H \"X-API-Key: $(cat .colloquy/dev-api-key)\" localhost:{port}/api/v1/workspace/");
    println!();
    tokio::select! {
        stopped = &mut served => match stopped {
            Ok(result) => result.map_err(|err| format!("server stopped: {err}")),
            Err(err) => Err(format!("server stopped: {err}")),
        },
        signal = shutdown_signal() => {
            println!("stopping ({signal})");
            Ok(())
        }
    }
}

/// Ctrl-C or SIGTERM: either way `main` returns, and moto (if we started it) stops with us.
async fn shutdown_signal() -> &'static str {
    let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(terminate) => terminate,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "interrupted",
        _ = terminate.recv() => "terminated",
    }
}

/// Amazon Bedrock when `BEDROCK_MODEL` is set and AWS credentials are present; else a real
/// OpenAI-compatible LLM when `LLM_API_KEY` is set; else the labelled stand-in. Returns it, a
/// label, and the dev agent's model.
async fn llm(port: u16) -> Result<(Arc<dyn Llm>, String, dev::DevModel), String> {
    use colloquy_adapters::config::optional;
    use colloquy_domain::ports::LLM_TIMEOUT;
    let (client, label, model) = match openai_endpoint() {
        Some(endpoint) => {
            let model = optional("LLM_MODEL").unwrap_or_else(|| "gpt-4o-mini".to_owned());
            let label = format!("{} (model {model}; set LLM_MODEL to change)", endpoint.base_url);
            let model = dev::DevModel { provider: Provider::Openai, name: model };
            (LlmClient::new(Some(endpoint), None, LLM_TIMEOUT)?, label, model)
        }
        None => (
            llm_standin::client(port)?,
            format!("{} — no LLM_API_KEY set", llm_standin::LABEL),
            dev::DevModel::stand_in(),
        ),
    };
    let Some(bedrock_model) = optional("BEDROCK_MODEL") else { return Ok((Arc::new(client), label, model)) };
    if !aws_credentials_present() {
        let why = "BEDROCK_MODEL is set, but no AWS credentials were found (AWS_ACCESS_KEY_ID, AWS_PROFILE or ~/.aws)";
        return Ok((Arc::new(client), format!("{label}; {why}"), model));
    }
    let aws = colloquy_adapters::aws::load().await.map_err(|err| err.to_string())?;
    let config = BedrockConfig { region: optional("BEDROCK_REGION"), endpoint_url: None };
    let region = config.region.clone().or_else(|| aws.region().map(ToString::to_string));
    let label = format!(
        "Amazon Bedrock, model {bedrock_model} in {} with your AWS credentials (the dev agent answers through it)",
        region.as_deref().unwrap_or("the region of your AWS profile")
    );
    let client = client.with_bedrock(BedrockClient::new(&aws, config, LLM_TIMEOUT));
    Ok((Arc::new(client), label, dev::DevModel { provider: Provider::Bedrock, name: bedrock_model }))
}

/// Whether the AWS SDK will find credentials for real AWS: in the environment or a profile.
fn aws_credentials_present() -> bool {
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    std::env::var_os("AWS_ACCESS_KEY_ID").is_some()
        || std::env::var_os("AWS_PROFILE").is_some()
        || home.join(".aws/credentials").is_file()
        || home.join(".aws/config").is_file()
}

/// The OpenAI-compatible endpoint of `LLM_BASE_URL` and `LLM_API_KEY`, when a key is set.
fn openai_endpoint() -> Option<Endpoint> {
    let api_key = colloquy_adapters::config::optional("LLM_API_KEY")?;
    let base_url =
        colloquy_adapters::config::optional("LLM_BASE_URL").unwrap_or_else(|| "https://api.openai.com/v1".to_owned());
    Some(Endpoint { base_url, api_key })
}

/// A real transcription endpoint when a key is set (`TRANSCRIPTION_API_KEY`, else `LLM_API_KEY`),
/// else the labelled stand-in.
fn transcriber(port: u16) -> Result<(Arc<dyn colloquy_domain::ports::Transcriber>, String), String> {
    let values = colloquy_adapters::config::SecretValues::default();
    if let Some(config) = colloquy_adapters::config::transcription(&values, openai_endpoint().as_ref()) {
        let label = format!("{} (model {})", config.endpoint.base_url, config.model);
        let client = colloquy_adapters::transcription::TranscriptionClient::new(
            config.endpoint,
            config.model,
            colloquy_adapters::transcription::TRANSCRIPTION_TIMEOUT,
        )?;
        return Ok((Arc::new(client), label));
    }
    Ok((Arc::new(llm_standin::transcriber(port)?), llm_standin::TRANSCRIPT_LABEL.to_owned()))
}

/// A real embeddings endpoint when `EMBEDDINGS_MODEL` (and a key) are set, and which mode
/// knowledge bases search in.
fn embedder() -> Result<(Option<Arc<dyn colloquy_domain::ports::Embedder>>, String), String> {
    let values = colloquy_adapters::config::SecretValues::default();
    let config =
        colloquy_adapters::config::embeddings(&values, openai_endpoint().as_ref()).map_err(|e| e.to_string())?;
    let Some(config) = config else {
        return Ok((None, "by words (BM25); set EMBEDDINGS_MODEL (and an API key) to rank by meaning too".to_owned()));
    };
    let label = format!("by words and meaning ({} on {})", config.model, config.endpoint.base_url);
    let client = colloquy_adapters::llm::EmbeddingsClient::new(
        config.endpoint,
        config.model,
        config.dimensions,
        colloquy_adapters::llm::EMBEDDINGS_TIMEOUT,
    )?;
    Ok((Some(Arc::new(client)), label))
}

/// The dev workspace's admin key: the saved one if the store still knows it, else a new workspace.
async fn dev_key(store: &dyn Store, state_dir: &Path) -> Result<(String, String, String), String> {
    let path = state_dir.join("dev-api-key");
    if let Ok(saved) = std::fs::read_to_string(&path) {
        let saved = saved.trim().to_owned();
        if let Ok(Some(key)) = store.find_key_by_hash(&hash_key(&saved)).await {
            return Ok((saved, key.workspace_id.into_string(), key.prefix));
        }
    }
    let (_, issued) = create_workspace(store, "Local development", time::OffsetDateTime::now_utc())
        .await
        .map_err(|err| format!("cannot create the dev workspace: {err}"))?;
    std::fs::create_dir_all(state_dir).map_err(|err| format!("cannot create {}: {err}", state_dir.display()))?;
    std::fs::write(&path, format!("{}\n", issued.plaintext))
        .map_err(|err| format!("cannot write {}: {err}", path.display()))?;
    Ok((issued.plaintext, issued.key.workspace_id.into_string(), issued.key.prefix))
}

/// Feeds `consumer` from `source` as Lambda's SQS event source would, for as long as the stack runs.
async fn keep_polling(source: LocalEventSource, consumer: impl SqsConsumer, name: &'static str) {
    loop {
        match source.poll_once(&consumer).await {
            Ok(polled) if polled.received > 0 => continue,
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, consumer = name, "poll failed"),
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}
