//! What the load and chaos benchmarks share: Meta-shaped deliveries, the senders that post them
//! as Meta would, a WhatsApp client that counts what it sent, and reading back what was stored.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use colloquy_adapters::dynamo::DynamoStore;
use colloquy_api::meta_webhook::sign;
use colloquy_domain::model::{ConversationId, Message, PageRequest, WorkspaceId};
use colloquy_domain::ports::{ConversationStore, GraphError, NumberInfo, Outbound, Secret, Sender, WhatsApp};
use serde_json::json;

use crate::dev::{self, LOCAL_APP_SECRET};
use crate::stack;

/// What went out, by contact and by reply part (`biz_opaque_callback_data`).
#[derive(Default)]
pub struct Replies {
    pub by_contact: Mutex<HashMap<String, u32>>,
    pub by_part: Mutex<HashMap<String, u32>>,
}

impl Replies {
    /// Parts Meta took more than once.
    pub fn duplicates(&self) -> u32 {
        self.by_part.lock().map(|parts| parts.values().map(|n| n.saturating_sub(1)).sum()).unwrap_or(0)
    }

    /// The fewest and most replies a contact got.
    pub fn spread(&self) -> (u32, u32) {
        let by_contact = self.by_contact.lock().map(|r| r.clone()).unwrap_or_default();
        (by_contact.values().min().copied().unwrap_or(0), by_contact.values().max().copied().unwrap_or(0))
    }

    pub fn contacts(&self) -> usize {
        self.by_contact.lock().map(|r| r.len()).unwrap_or(0)
    }
}

/// Counts every text Meta took.
pub struct CountingWhatsApp(pub Arc<dyn WhatsApp>, pub Arc<Replies>);

#[async_trait]
impl WhatsApp for CountingWhatsApp {
    async fn send(&self, from: &Sender, message: &Outbound) -> Result<String, GraphError> {
        let sent = self.0.send(from, message).await;
        if let (Ok(_), Outbound::Text { to, callback, .. }) = (&sent, message) {
            if let Ok(mut replies) = self.1.by_contact.lock() {
                *replies.entry(to.clone()).or_default() += 1;
            }
            if let (Some(callback), Ok(mut parts)) = (callback, self.1.by_part.lock()) {
                *parts.entry(callback.clone()).or_default() += 1;
            }
        }
        sent
    }
    async fn mark_read(&self, from: &Sender, wamid: &str) -> Result<(), GraphError> {
        self.0.mark_read(from, wamid).await
    }
    async fn number_info(&self, phone_number_id: &str, token: &Secret) -> Result<NumberInfo, GraphError> {
        self.0.number_info(phone_number_id, token).await
    }
}

pub fn contact(c: usize) -> String {
    format!("4915{:09}", 100_000 + c)
}

/// Contact `c`'s message `m`, as Meta delivers it.
pub fn delivery(c: usize, m: usize) -> String {
    let from = contact(c);
    json!({"object": "whatsapp_business_account", "entry": [{"id": "0", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550000001", "phone_number_id": dev::DEV_PHONE_NUMBER_ID},
        "contacts": [{"profile": {"name": format!("Contact {c}")}, "wa_id": from}],
        "messages": [{"from": from, "id": format!("wamid.LOAD{c}x{m}"), "timestamp": time::OffsetDateTime::now_utc().unix_timestamp().to_string(), "type": "text", "text": {"body": format!("message {m} from contact {c}")}}]
    }}]}]})
    .to_string()
}

/// Meta's status webhook for a message it took, naming the part it was sent as.
pub fn status_delivery(wamid: &str, callback: &str) -> String {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "0", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550000001", "phone_number_id": dev::DEV_PHONE_NUMBER_ID},
        "statuses": [{"id": wamid, "status": "sent", "timestamp": time::OffsetDateTime::now_utc().unix_timestamp().to_string(),
                      "recipient_id": "0", "biz_opaque_callback_data": callback}]
    }}]}]})
    .to_string()
}

/// POSTs a signed delivery to the local webhook; whether it answered 2xx.
pub async fn post(http: &reqwest::Client, port: u16, body: String) -> Result<(), String> {
    let signature = sign(LOCAL_APP_SECRET, body.as_bytes());
    let url = format!("http://127.0.0.1:{port}/webhooks/whatsapp");
    let answer = http.post(&url).header("x-hub-signature-256", signature).body(body).send().await;
    let status = answer.map_err(|e| e.to_string())?.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("the webhook answered {status}"))
    }
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

pub fn rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// What the senders did.
pub struct Sent {
    /// Each accepted delivery's latency, sorted.
    pub latencies: Vec<Duration>,
    pub took: Duration,
    /// Deliveries the webhook did not take at first and Meta would send again.
    pub redeliveries: u64,
}

/// `conversations` × `per_conversation` messages by `senders` concurrent senders, round-robin
/// over conversations. A delivery the webhook does not take is sent again after a second, at
/// most `redeliveries` times (Meta's retries), then the run fails.
pub async fn send_all(
    port: u16,
    (conversations, per_conversation, senders): (usize, usize, usize),
    redeliveries: u32,
) -> Result<Sent, String> {
    let http = colloquy_adapters::https::client(Duration::from_secs(30))?;
    let work: Vec<(usize, usize)> =
        (0..per_conversation).flat_map(|m| (0..conversations).map(move |c| (c, m))).collect();
    let queue = Arc::new(Mutex::new(work.into_iter()));
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let redelivered = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..senders {
        let (queue, latencies, http, redelivered) =
            (queue.clone(), latencies.clone(), http.clone(), redelivered.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let next = queue.lock().ok().and_then(|mut q| q.next());
                let Some((c, m)) = next else { return Ok::<_, String>(()) };
                let sent = Instant::now();
                let mut tries = 0;
                while let Err(err) = post(&http, port, delivery(c, m)).await {
                    tries += 1;
                    if tries > redeliveries {
                        return Err(err);
                    }
                    redelivered.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                if let Ok(mut l) = latencies.lock() {
                    l.push(sent.elapsed());
                }
            }
        }));
    }
    for task in tasks {
        task.await.map_err(|e| e.to_string())??;
    }
    let mut latencies = latencies.lock().map(|l| l.clone()).unwrap_or_default();
    latencies.sort();
    let redeliveries = redelivered.load(std::sync::atomic::Ordering::Relaxed);
    Ok(Sent { latencies, took: started.elapsed(), redeliveries })
}

/// No trigger waits or is in flight.
pub async fn worker_idle(aws: &stack::LocalAws, queue_url: &str) -> bool {
    queue_depth(aws, queue_url).await == (0, 0)
}

/// Triggers waiting, and in flight (received, or hidden for a retry); unknown counts as one.
pub async fn queue_depth(aws: &stack::LocalAws, queue_url: &str) -> (u64, u64) {
    use aws_sdk_sqs::types::QueueAttributeName::{ApproximateNumberOfMessages, ApproximateNumberOfMessagesNotVisible};
    let sqs = aws.sqs_client();
    let Ok(found) = sqs
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(ApproximateNumberOfMessages)
        .attribute_names(ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
    else {
        return (1, 1);
    };
    let attributes = found.attributes.unwrap_or_default();
    let count = |name| attributes.get(&name).and_then(|n: &String| n.parse::<u64>().ok()).unwrap_or(1);
    (count(ApproximateNumberOfMessages), count(ApproximateNumberOfMessagesNotVisible))
}

/// Every conversation of the workspace with its messages (the newest 100 each).
pub async fn stored(
    store: &DynamoStore,
    workspace: &WorkspaceId,
) -> Result<Vec<(ConversationId, Vec<Message>)>, String> {
    let mut ids: Vec<ConversationId> = Vec::new();
    let mut cursor = None;
    loop {
        let page = store.list_conversations(workspace, &PageRequest { limit: 100, cursor: cursor.clone() }).await;
        let page = page.map_err(|e| e.to_string())?;
        ids.extend(page.items.into_iter().map(|c| c.id));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    ids.sort();
    ids.dedup();
    let mut conversations = Vec::new();
    for id in ids {
        let page = store.list_messages(&id, &PageRequest { limit: 100, cursor: None }).await;
        conversations.push((id, page.map_err(|e| e.to_string())?.items));
    }
    Ok(conversations)
}

/// The local stack a benchmark runs on: moto (started, or reused on `moto_port`), the table and
/// queues of the template, the local API on a spare port, a workspace and its dev agent.
pub struct Bench {
    pub aws: stack::LocalAws,
    pub moto_servers: crate::moto::Servers,
    pub resources: stack::LocalResources,
    pub store: Arc<DynamoStore>,
    pub app: colloquy_api::App,
    /// The local API's port (the stand-ins answer on it too).
    pub port: u16,
    pub workspace: WorkspaceId,
}

/// The WhatsApp client and the LLM a benchmark's app uses.
pub type Clients = (Arc<dyn WhatsApp>, Arc<dyn colloquy_domain::ports::Llm>);

impl Bench {
    /// `clients` builds the app's WhatsApp client and LLM for the API's port.
    pub async fn start(
        name: &str,
        moto_port: u16,
        clients: impl FnOnce(u16) -> Result<Clients, String>,
    ) -> Result<Self, String> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let (aws, moto_servers, _) = crate::moto::start_or_reuse(&root, moto_port).await?;
        let name = format!("{name}-{}", colloquy_domain::model::ids::random_hex(4));
        let template = crate::template::Template::load_default().map_err(|e| e.to_string())?;
        let resources = stack::provision(&aws, &template, &name).await.map_err(|e| e.to_string())?;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.map_err(|e| e.to_string())?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let store = Arc::new(DynamoStore::new(aws.dynamodb_client(), &resources.table_name));
        let (whatsapp, llm) = clients(port)?;
        let app = dev::local_app(
            store.clone(),
            colloquy_adapters::sqs::SqsTriggerQueue::new(aws.sqs_client(), &resources.queue_url),
            stack::local_vault(&aws, &resources.table_name),
            whatsapp,
            llm,
        );
        tokio::spawn(crate::server::serve(listener, app.clone()));
        let now = time::OffsetDateTime::now_utc();
        let (workspace, issued) = colloquy_domain::workspaces::create_workspace(store.as_ref(), name.as_str(), now)
            .await
            .map_err(|e| e.to_string())?;
        // The product's quiet period (2 s) stands: bursts are what the benchmarks measure.
        dev::ensure_dev_agent(&app, &workspace.id, &issued.key.prefix, &dev::DevModel::stand_in(), None).await?;
        Ok(Self { aws, moto_servers, resources, store, app, port, workspace: workspace.id })
    }
}
