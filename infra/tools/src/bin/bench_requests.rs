//! `colloquy-bench-requests`: counts what one inbound text message costs in the webhook and
//! what one reply costs in the worker — AWS requests by operation, LLM calls, WhatsApp sends —
//! and what a voice note and an image add, and prints them beside the design's budgets. Runs on moto (started on `MOTO_PORT`, default
//! 5099, and the next port, if nothing listens there) with the local WhatsApp and LLM stand-ins.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use colloquy_adapters::dynamo::DynamoStore;
use colloquy_adapters::outbound::HttpEventDelivery;
use colloquy_adapters::sqs::SqsTriggerQueue;
use colloquy_api::http::bodies::tools::NewToolBody;
use colloquy_api::meta_webhook::sign;
use colloquy_api::routes;
use colloquy_domain::agents;
use colloquy_domain::model::outbound_url::OutboundRules;
use colloquy_domain::model::{Principal, Role, Tool};
use colloquy_domain::ports::Secret;
use colloquy_domain::ports::{
    AudioClip, ChatReply, ChatRequest, DeliveryError, DownloadError, EventDelivery, GraphError, Llm, LlmError,
    MediaInfo, NumberInfo, NumberStore, Outbound, Sender, Transcriber, Transcript, WhatsApp,
};
use colloquy_domain::tools;
use colloquy_domain::workspaces::create_workspace;
use colloquy_functions::worker::Worker;
use colloquy_tools::dev::{self, LOCAL_APP_SECRET};
use colloquy_tools::event_source::LocalEventSource;
use colloquy_tools::stack::local_vault;
use colloquy_tools::{graph_standin, llm_standin, moto, server, stack, template::Template};
use serde_json::json;

/// Counts AWS requests by operation (`DynamoDB.GetItem`, `SQS.SendMessage`…).
#[derive(Debug, Clone, Default)]
struct Counter(Arc<Mutex<BTreeMap<String, u32>>>);

impl Counter {
    fn add(&self, name: String) {
        if let Ok(mut counts) = self.0.lock() {
            *counts.entry(name).or_default() += 1;
        }
    }

    fn take(&self) -> BTreeMap<String, u32> {
        self.0.lock().map(|mut counts| std::mem::take(&mut *counts)).unwrap_or_default()
    }
}

impl Intercept for Counter {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _config: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let request = context.request();
        let name = match request.headers().get("x-amz-target") {
            Some(target) => target.replace("DynamoDB_20120810.", "DynamoDB.").replace("AmazonSQS.", "SQS."),
            // S3 is REST: its operation is the method.
            None => format!("S3.{}Object", if request.method() == "PUT" { "Put" } else { "Get" }),
        };
        self.add(name);
        Ok(())
    }
}

struct CountingLlm(Arc<dyn Llm>, Counter);

#[async_trait]
impl Llm for CountingLlm {
    async fn complete(&self, request: &ChatRequest) -> Result<ChatReply, LlmError> {
        self.1.add("LLM call".into());
        self.0.complete(request).await
    }
}

struct CountingWhatsApp(Arc<dyn WhatsApp>, Counter);

#[async_trait]
impl WhatsApp for CountingWhatsApp {
    async fn send(&self, from: &Sender, message: &Outbound) -> Result<String, GraphError> {
        self.1.add("WhatsApp send".into());
        self.0.send(from, message).await
    }

    async fn mark_read(&self, from: &Sender, wamid: &str) -> Result<(), GraphError> {
        self.1.add("WhatsApp read receipt".into());
        self.0.mark_read(from, wamid).await
    }

    async fn number_info(&self, phone_number_id: &str, token: &Secret) -> Result<NumberInfo, GraphError> {
        self.1.add("WhatsApp number look-up".into());
        self.0.number_info(phone_number_id, token).await
    }

    async fn media_info(&self, from: &Sender, media_id: &str) -> Result<MediaInfo, GraphError> {
        self.1.add("WhatsApp media look-up".into());
        self.0.media_info(from, media_id).await
    }

    async fn download_media(&self, from: &Sender, url: &str, max_bytes: u64) -> Result<Vec<u8>, DownloadError> {
        self.1.add("WhatsApp media download".into());
        self.0.download_media(from, url, max_bytes).await
    }
}

struct CountingTranscriber(Arc<dyn Transcriber>, Counter);

#[async_trait]
impl Transcriber for CountingTranscriber {
    async fn transcribe(&self, clip: AudioClip<'_>) -> Result<Transcript, LlmError> {
        self.1.add("transcription".into());
        self.0.transcribe(clip).await
    }
}

/// Tool calls (and event deliveries) through the real HTTP client, counted.
struct CountingOutbound(HttpEventDelivery, Counter);

#[async_trait]
impl EventDelivery for CountingOutbound {
    async fn post(&self, url: &str, headers: &[(&str, String)], body: String) -> Result<u16, DeliveryError> {
        self.1.add("event delivery".into());
        self.0.post(url, headers, body).await
    }

    async fn call_tool(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: String,
        timeout: std::time::Duration,
    ) -> Result<(u16, String), DeliveryError> {
        self.1.add("tool POST".into());
        self.0.call_tool(url, headers, body, timeout).await
    }
}

fn inbound_text(n: u32) -> String {
    inbound(n, &format!("message {n}"))
}

fn inbound(n: u32, text: &str) -> String {
    delivery(n, "text", json!({"body": text}))
}

/// A voice note or an image from the fixtures the Graph stand-in serves.
fn inbound_media(n: u32, root: &std::path::Path, kind: &str, id: &str, file: &str) -> Result<String, String> {
    use sha2::Digest;
    let bytes = std::fs::read(root.join("events/whatsapp/media").join(file)).map_err(|e| format!("{file}: {e}"))?;
    let sha256 = hex::encode(sha2::Sha256::digest(&bytes));
    let media =
        json!({"id": id, "mime_type": graph_standin::mime_of(file), "sha256": sha256, "voice": kind == "audio"});
    Ok(delivery(n, kind, media))
}

/// Meta's webhook delivery of one message of type `kind` (its `kind` object is `content`).
fn delivery(n: u32, kind: &str, content: serde_json::Value) -> String {
    delivery_from(dev::DEV_CONTACT, n, kind, content)
}

fn delivery_from(contact: &str, n: u32, kind: &str, content: serde_json::Value) -> String {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "0", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550000001", "phone_number_id": dev::DEV_PHONE_NUMBER_ID},
        "contacts": [{"profile": {"name": "Bench"}, "wa_id": contact}],
        "messages": [{"from": contact, "id": format!("wamid.BENCH{n}"), "timestamp": time::OffsetDateTime::now_utc().unix_timestamp().to_string(), "type": kind, kind: content}]
    }}]}]})
    .to_string()
}

fn print(title: &str, counts: &BTreeMap<String, u32>, budget: &str) {
    println!("{title}");
    for (name, count) in counts {
        println!("  {name:<32} {count}");
    }
    let reads: u32 =
        counts.iter().filter(|(n, _)| n.ends_with("GetItem") || n.ends_with("Query")).map(|(_, c)| c).sum();
    let writes: u32 = counts
        .iter()
        .filter(|(n, _)| n.ends_with("TransactWriteItems") || n.ends_with("PutItem") || n.ends_with("UpdateItem"))
        .map(|(_, c)| c)
        .sum();
    println!("  = DynamoDB reads {reads}, writes {writes}   budget: {budget}");
}

/// A signed delivery through the webhook's route, as API Gateway would hand it over.
async fn deliver(app: &colloquy_api::App, body: String) -> Result<u16, String> {
    let signature = sign(LOCAL_APP_SECRET, body.as_bytes());
    let request = http::Request::builder()
        .method("POST")
        .uri("/webhooks/whatsapp")
        .header("x-hub-signature-256", signature)
        .body(lambda_http::Body::from(body))
        .map_err(|e| e.to_string())?;
    let (route, _) = routes::find("POST", "/webhooks/whatsapp").ok_or("the webhook has no route")?;
    Ok(routes::dispatch(route, app, &request).await.status().as_u16())
}

fn main() -> Result<(), String> {
    // The worker reads contacts' files in children of this binary.
    colloquy_adapters::reading::serve_if_reader();
    match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime.block_on(run()),
        Err(err) => {
            eprintln!("error: no async runtime: {err}");
            Err(err.to_string())
        }
    }
}

async fn run() -> Result<(), String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let moto_port: u16 = std::env::var("MOTO_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(5099);
    let (aws, _moto, _) = moto::start_or_reuse(&root, moto_port).await?;
    let counter = Counter::default();
    let name = format!("bench-{}", colloquy_domain::model::ids::random_hex(4));
    let resources = stack::provision(&aws, &Template::load_default().map_err(|e| e.to_string())?, &name)
        .await
        .map_err(|e| e.to_string())?;
    let dynamodb = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&aws.dynamodb).interceptor(counter.clone()).build(),
    );
    let sqs = aws_sdk_sqs::Client::from_conf(
        aws_sdk_sqs::config::Builder::from(&aws.messaging).interceptor(counter.clone()).build(),
    );

    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&aws.messaging).force_path_style(true).interceptor(counter.clone()).build(),
    );
    graph_standin::load_fixture_media(&root)?;

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let store = Arc::new(DynamoStore::new(dynamodb, &resources.table_name));
    let whatsapp: Arc<dyn WhatsApp> =
        Arc::new(CountingWhatsApp(Arc::new(graph_standin::client(port)?), counter.clone()));
    let llm: Arc<dyn Llm> = Arc::new(CountingLlm(Arc::new(llm_standin::client(port)?), counter.clone()));
    let app = dev::local_app(
        store.clone(),
        SqsTriggerQueue::new(sqs, &resources.queue_url),
        local_vault(&aws, &resources.table_name),
        whatsapp,
        llm,
    )
    .allowing_loopback_http(colloquy_tools::ephemeral_ports())
    .with_media(
        Arc::new(colloquy_adapters::s3::S3MediaStore::new(s3, &resources.media_bucket)),
        Arc::new(CountingTranscriber(Arc::new(llm_standin::transcriber(port)?), counter.clone())),
    )
    .with_event_delivery(Arc::new(CountingOutbound(
        HttpEventDelivery::new(
            colloquy_domain::ports::EVENT_DELIVERY_TIMEOUT,
            OutboundRules { loopback_http_ports: colloquy_tools::ephemeral_ports(), ..OutboundRules::default() },
        )?,
        counter.clone(),
    )));
    tokio::spawn(server::serve(listener, app.clone()));

    let (workspace, issued) =
        create_workspace(store.as_ref(), "bench", time::OffsetDateTime::now_utc()).await.map_err(|e| e.to_string())?;
    // Measured without the quiet period: the bench counts requests, not seconds.
    dev::ensure_dev_agent(&app, &workspace.id, &issued.key.prefix, &dev::DevModel::stand_in(), Some(0)).await?;
    let source = LocalEventSource::new(aws.sqs_client(), &resources.queue_url, 0).await?;
    let worker = Worker::new(app.clone());
    let webhook = |body: String| deliver(&app, body);

    println!("AWS requests per unit of work (moto; WhatsApp and LLM stand-ins)\n");
    for (round, label) in [
        (1, "first message (cold container: number, agent and prompt not cached)"),
        (2, "next message (warm container)"),
    ] {
        counter.take();
        let started = std::time::Instant::now();
        let status = webhook(inbound_text(round)).await?;
        let webhook_ms = started.elapsed().as_secs_f64() * 1000.0;
        print(
            &format!("whatsapp-webhook, one inbound text — {label} [HTTP {status}, {webhook_ms:.1} ms]"),
            &counter.take(),
            "1 write + 1 SQS send (number lookups cached)",
        );
        let started = std::time::Instant::now();
        source.poll_once(&worker).await?;
        // The invocation's time on this machine against moto and the in-process stand-ins (the
        // LLM answers at once): what a reply costs besides waiting for the model.
        let worker_ms = started.elapsed().as_secs_f64() * 1000.0;
        print(
            &format!("agent-worker, one reply — {label} [{worker_ms:.1} ms with the receive and delete]"),
            &counter.take(),
            "1 read, 1 LLM call, 1 WhatsApp send, ≤2 writes",
        );
        println!();
    }

    // Media: what a voice note and an image add to a text's reply (warm container).
    for (round, kind, id, file, budget) in [
        (5, "audio", "3234567890123456", "voice-note.ogg",
         "a text reply's + 1 Graph media look-up, 1 download, 1 S3 PutObject, 1 transcription, 1 write (media + usage)"),
        (6, "image", "1234567890123456", "payslip.jpg",
         "a text reply's + 1 Graph media look-up, 1 download, 2 S3 PutObject (original, preview), 1 S3 GetObject (the preview, for a model that accepts images), 1 write"),
    ] {
        webhook(inbound_media(round, &root, kind, id, file)?).await?;
        counter.take();
        source.poll_once(&worker).await?;
        let what = if kind == "audio" { "voice note" } else { kind };
        print(&format!("agent-worker, one reply to a {what} (warm container)"), &counter.take(), budget);
    }
    webhook(inbound_text(7)).await?;
    counter.take();
    source.poll_once(&worker).await?;
    print(
        "agent-worker, the next text's reply after an image (warm; the agent's model accepts images)",
        &counter.take(),
        "a text reply's + 1 S3 GetObject (the image is shown again while among the 3 newest)",
    );
    println!();

    // One tool step: the model calls a tool (the local sample receiver), reads its answer, replies.
    let admin =
        Principal { workspace_id: workspace.id.clone(), role: Role::Admin, key_prefix: issued.key.prefix.clone() };
    let tool: NewToolBody = serde_json::from_value(json!({
        "name": "bench_tool", "description": "A tool to count requests with.",
        "url": format!("http://127.0.0.1:{port}/sample-tool")
    }))
    .map_err(|e| e.to_string())?;
    let tool = tool.parse(&app.outbound).map_err(|e| e.to_string())?;
    tools::create_tool(&*app.store, &*app.clock, &admin, tool).await.map_err(|e| e.to_string())?;
    let agent_id = store
        .get_number(dev::DEV_PHONE_NUMBER_ID)
        .await
        .map_err(|e| e.to_string())?
        .and_then(|n| n.default_agent_id)
        .ok_or("the dev number has no agent")?;
    let change = agents::AgentChange { tools: Some(vec![Tool::named("bench_tool")]), ..Default::default() };
    agents::change_agent(&app.agent_ports(), &admin, &agent_id, change).await.map_err(|e| e.to_string())?;
    // A new container: the agent as changed, not as cached.
    let worker = Worker::new(app.clone());
    for round in [3, 4] {
        webhook(inbound(round, "/tool bench_tool {}")).await?;
        counter.take();
        source.poll_once(&worker).await?;
        let label = if round == 3 { "cold container" } else { "warm container" };
        print(
            &format!("agent-worker, one reply with one tool step ({label})"),
            &counter.take(),
            "a reply's + 1 LLM call, 1 tool POST, 1 transaction (the calls stored), 2 PutItem (running, outcome), 2 reads (warm)",
        );
    }
    println!();
    cache_share(&app, &admin, &agent_id, port, &source).await
}

/// Every reply's input and cached input tokens.
struct CacheMeter(Arc<dyn Llm>, Arc<Mutex<Vec<(u64, u64)>>>);

#[async_trait]
impl Llm for CacheMeter {
    async fn complete(&self, request: &ChatRequest) -> Result<ChatReply, LlmError> {
        let reply = self.0.complete(request).await?;
        if let Ok(mut seen) = self.1.lock() {
            seen.push((reply.input_tokens, reply.cached_input_tokens));
        }
        Ok(reply)
    }
}

/// Prompt caching: the share of a ten-turn conversation's input a provider serves from its
/// cache, for an Anthropic agent with a leasing agent's prompt and one tool, answered by the
/// Anthropic stand-in that applies Anthropic's caching rules (`anthropic_standin`).
async fn cache_share(
    app: &colloquy_api::App,
    admin: &Principal,
    agent_id: &colloquy_domain::model::AgentId,
    port: u16,
    source: &LocalEventSource,
) -> Result<(), String> {
    use colloquy_adapters::llm::{Endpoint, LlmClient};
    use colloquy_domain::model::{ModelSettings, Provider};
    use colloquy_domain::prompts;
    let text = leasing_prompt();
    let prompt = prompts::NewPromptVersion {
        name: "bench-leasing".into(),
        text: text.clone(),
        metadata: None,
        knowledge_bases: None,
    };
    let (prompt, _) = prompts::create_version_by_name(
        colloquy_domain::prompts::PromptPorts { prompts: &*app.store, knowledge: &*app.store, clock: &*app.clock },
        admin,
        prompt,
    )
    .await
    .map_err(|e| e.to_string())?;
    let model = ModelSettings {
        provider: Provider::Anthropic,
        name: "claude-sonnet-4-5".into(),
        temperature: None,
        max_tokens: agents::DEFAULT_MAX_TOKENS,
        accepts_images: false,
    };
    let change = agents::AgentChange { prompt_id: Some(prompt.id), model: Some(model), ..Default::default() };
    agents::change_agent(&app.agent_ports(), admin, agent_id, change).await.map_err(|e| e.to_string())?;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let endpoint = Endpoint { base_url: format!("http://127.0.0.1:{port}/llm"), api_key: "local".into() };
    let anthropic = LlmClient::new(None, Some(endpoint), std::time::Duration::from_secs(10))?;
    let mut metered = app.clone();
    metered.llm = Arc::new(CacheMeter(Arc::new(anthropic), seen.clone()));
    let worker = Worker::new(metered);
    let questions = [
        "Hi, is the 2-bedroom at Maple Court still free?",
        "How much is the deposit?",
        "Are pets allowed?",
        "Is there a lift?",
        "Can I see it on Saturday?",
        "What about parking?",
        "Is the kitchen furnished?",
        "How long is the minimum lease?",
        "When could I move in?",
        "Thanks, please book the viewing.",
    ];
    for (n, question) in (200..).zip(questions) {
        deliver(app, delivery_from("15550009999", n, "text", json!({"body": question}))).await?;
        source.poll_once(&worker).await?;
    }
    let seen = seen.lock().map(|seen| seen.clone()).unwrap_or_default();
    println!(
        "Prompt caching over a ten-turn conversation (an Anthropic agent with a {}-character prompt and one tool; \
         the Anthropic stand-in applies Anthropic's rules: a marked prefix of at least {} tokens, tokens estimated \
         as characters / 4)",
        text.len(),
        colloquy_tools::anthropic_standin::MIN_CACHED_TOKENS
    );
    println!("  {:<6} {:>8} {:>8} {:>7}", "turn", "input", "cached", "share");
    for (turn, (input, cached)) in (1..).zip(&seen) {
        println!("  {turn:<6} {input:>8} {cached:>8} {:>6.0}%", percent(*cached, *input));
    }
    let (input, cached) = seen.iter().fold((0, 0), |(i, c), (input, cached)| (i + input, c + cached));
    println!(
        "  = {} LLM calls: {input} input tokens, {cached} of them read from the cache ({:.0}%)",
        seen.len(),
        percent(cached, input)
    );
    Ok(())
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// A leasing agent's system prompt of the size businesses write: how to behave, the house
/// rules, and a catalogue of thirty flats.
fn leasing_prompt() -> String {
    let mut text = String::from(
        "You are the WhatsApp assistant of Maple Court Lettings. Answer in the contact's language, in two or \
         three short sentences, warmly and precisely. Never invent a flat, a price or a date: answer from the \
         catalogue below, and say so when you do not know. Offer a viewing when a contact is interested; book it \
         with the book_viewing tool once they have chosen a day. Hand the conversation to a person when asked, \
         when a contact is upset, or for anything about an existing lease.\n\n## House rules\n\
         - Deposit: three months' rent, held in a protected account.\n- Minimum lease: twelve months; \
         a break clause after six.\n- Pets: cats and small dogs with a pet deposit of 300 EUR; no other animals.\n\
         - Smoking is not allowed anywhere in the buildings.\n- Viewings: Monday to Saturday, 9:00 to 18:00.\n\
         - Documents: identity, the last three payslips or a guarantor, and a reference from the last landlord.\n\
         \n## Flats available\n",
    );
    let streets = ["Maple Court", "Elm Row", "Harbour View", "Station Lane", "Linden Square"];
    for n in 1..=30u32 {
        let bedrooms = 1 + n % 3;
        text.push_str(&format!(
            "- MC-{n}: {bedrooms}-bedroom flat at {} {}, floor {}, {} m², {} EUR a month plus {} EUR service \
             charge; {}; {}; available from {} {}.\n",
            streets[(n % 5) as usize],
            10 + n,
            n % 6,
            38 + bedrooms * 17 + n % 7,
            690 + bedrooms * 240 + n * 5,
            60 + n % 4 * 15,
            if n % 2 == 0 { "furnished kitchen, washing machine" } else { "unfurnished, kitchen fitted" },
            if n % 3 == 0 { "lift, bicycle room, underground parking at 80 EUR" } else { "no lift, street parking" },
            1 + n % 28,
            ["January", "February", "March"][(n % 3) as usize],
        ));
    }
    text
}
