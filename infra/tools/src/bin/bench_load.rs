//! `colloquy-bench-load`: N conversations × M signed, Meta-shaped messages sent by C concurrent
//! senders through the real local stack (moto, the local API, the worker fed from the queue, the
//! WhatsApp and LLM stand-ins). Prints the webhook's p50/p99, messages accepted per second, the
//! time until every conversation's last message is answered, replies per conversation and moto's
//! memory, and checks that nothing was lost or stored twice.
//!
//! Usage: cargo run --release -p colloquy-tools --bin colloquy-bench-load [-- N M C]
//! (default 100 conversations × 10 messages, 16 senders; moto on MOTO_PORT, default 5097).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use colloquy_adapters::dynamo::DynamoStore;
use colloquy_adapters::sqs::SqsTriggerQueue;
use colloquy_api::meta_webhook::sign;
use colloquy_domain::model::PageRequest;
use colloquy_domain::ports::{ConversationStore, GraphError, NumberInfo, Outbound, Secret, Sender, WhatsApp};
use colloquy_domain::workspaces::create_workspace;
use colloquy_functions::worker::Worker;
use colloquy_tools::dev::{self, LOCAL_APP_SECRET};
use colloquy_tools::event_source::LocalEventSource;
use colloquy_tools::stack::local_vault;
use colloquy_tools::{graph_standin, llm_standin, moto, server, stack, template::Template};
use serde_json::json;

/// Replies sent, by contact.
#[derive(Default)]
struct Replies(Mutex<HashMap<String, u32>>);

struct CountingWhatsApp(Arc<dyn WhatsApp>, Arc<Replies>);

#[async_trait]
impl WhatsApp for CountingWhatsApp {
    async fn send(&self, from: &Sender, message: &Outbound) -> Result<String, GraphError> {
        let sent = self.0.send(from, message).await;
        if let (Ok(_), Outbound::Text { to, .. }, Ok(mut replies)) = (&sent, message, self.1 .0.lock()) {
            *replies.entry(to.clone()).or_default() += 1;
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

fn contact(c: usize) -> String {
    format!("4915{:09}", 100_000 + c)
}

fn delivery(c: usize, m: usize) -> String {
    let from = contact(c);
    json!({"object": "whatsapp_business_account", "entry": [{"id": "0", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550000001", "phone_number_id": dev::DEV_PHONE_NUMBER_ID},
        "contacts": [{"profile": {"name": format!("Contact {c}")}, "wa_id": from}],
        "messages": [{"from": from, "id": format!("wamid.LOAD{c}x{m}"), "timestamp": time::OffsetDateTime::now_utc().unix_timestamp().to_string(), "type": "text", "text": {"body": format!("message {m} from contact {c}")}}]
    }}]}]})
    .to_string()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

fn rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let (conversations, per_conversation, senders) =
        (args.first().copied().unwrap_or(100), args.get(1).copied().unwrap_or(10), args.get(2).copied().unwrap_or(16));
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let moto_port: u16 = std::env::var("MOTO_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(5097);
    let (aws, moto_servers, _) = moto::start_or_reuse(&root, moto_port).await?;
    let name = format!("load-{}", colloquy_domain::model::ids::random_hex(4));
    let template = Template::load_default().map_err(|e| e.to_string())?;
    let resources = stack::provision(&aws, &template, &name).await.map_err(|e| e.to_string())?;

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let replies = Arc::new(Replies::default());
    let store = Arc::new(DynamoStore::new(aws.dynamodb_client(), &resources.table_name));
    let whatsapp = Arc::new(CountingWhatsApp(Arc::new(graph_standin::client(port)?), replies.clone()));
    let app = dev::local_app(
        store.clone(),
        SqsTriggerQueue::new(aws.sqs_client(), &resources.queue_url),
        local_vault(&aws, &resources.table_name),
        whatsapp,
        Arc::new(llm_standin::client(port)?),
    );
    tokio::spawn(server::serve(listener, app.clone()));
    let (workspace, issued) =
        create_workspace(store.as_ref(), "load", time::OffsetDateTime::now_utc()).await.map_err(|e| e.to_string())?;
    // The product's quiet period (2 s) stands: bursts are what this measures.
    dev::ensure_dev_agent(&app, &workspace.id, &issued.key.prefix, &dev::DevModel::stand_in(), None).await?;

    // The worker as Lambda would run it: several invocations at once (`BENCH_POLLERS`, default
    // 4), each a batch of ten.
    let pollers: usize = std::env::var("BENCH_POLLERS").ok().and_then(|n| n.parse().ok()).unwrap_or(4);
    let worker = Arc::new(Worker::new(app.clone()));
    for _ in 0..pollers {
        let source = LocalEventSource::new(aws.sqs_client(), &resources.queue_url, 1).await?;
        let worker = worker.clone();
        tokio::spawn(async move {
            loop {
                match source.poll_once(&worker).await {
                    Ok(polled) if polled.received > 0 => {}
                    Ok(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                    Err(err) => {
                        eprintln!("worker poll failed: {err}");
                        tokio::time::sleep(Duration::from_millis(100)).await
                    }
                }
            }
        });
    }

    let http = colloquy_adapters::https::client(Duration::from_secs(30))?;
    let url = format!("http://127.0.0.1:{port}/webhooks/whatsapp");
    let work: Vec<(usize, usize)> =
        (0..per_conversation).flat_map(|m| (0..conversations).map(move |c| (c, m))).collect();
    let queue = Arc::new(Mutex::new(work.into_iter()));
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..senders {
        let (queue, latencies, http, url) = (queue.clone(), latencies.clone(), http.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let next = queue.lock().ok().and_then(|mut q| q.next());
                let Some((c, m)) = next else { return Ok::<_, String>(()) };
                let body = delivery(c, m);
                let signature = sign(LOCAL_APP_SECRET, body.as_bytes());
                let sent = Instant::now();
                let answer = http.post(&url).header("x-hub-signature-256", signature).body(body).send().await;
                let status = answer.map_err(|e| e.to_string())?.status();
                if !status.is_success() {
                    return Err(format!("the webhook answered {status}"));
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
    let sending = started.elapsed();
    let total = conversations * per_conversation;
    let mut sorted = latencies.lock().map(|l| l.clone()).unwrap_or_default();
    sorted.sort();
    eprintln!(
        "all sent in {:.1} s (p50 {:.0} ms, p99 {:.0} ms); waiting for the answers…",
        sending.as_secs_f64(),
        percentile(&sorted, 0.5).as_secs_f64() * 1000.0,
        percentile(&sorted, 0.99).as_secs_f64() * 1000.0
    );

    let answered_at = loop {
        let answered = replies.0.lock().map(|r| r.len()).unwrap_or(0);
        if answered >= conversations && worker_idle(&aws, &resources.queue_url).await {
            break started.elapsed();
        }
        if started.elapsed() > Duration::from_secs(300) {
            return Err(format!("after 300 s only {answered} of {conversations} conversations were answered"));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };

    let mut latencies = latencies.lock().map(|l| l.clone()).unwrap_or_default();
    latencies.sort();
    let listed = store.list_conversations(&workspace.id, &PageRequest { limit: 100, cursor: None }).await;
    let mut stored_inbound = 0;
    let mut ids: Vec<colloquy_domain::model::ConversationId> =
        listed.map_err(|e| e.to_string())?.items.into_iter().map(|c| c.id).collect();
    let mut cursor = None;
    while ids.len() < conversations {
        let page = store.list_conversations(&workspace.id, &PageRequest { limit: 100, cursor: cursor.clone() }).await;
        let page = page.map_err(|e| e.to_string())?;
        if page.next_cursor.is_none() && page.items.is_empty() {
            break;
        }
        ids.extend(page.items.into_iter().map(|c| c.id));
        cursor = page.next_cursor;
    }
    ids.sort();
    ids.dedup();
    for id in &ids {
        let page =
            store.list_messages(id, &PageRequest { limit: 100, cursor: None }).await.map_err(|e| e.to_string())?;
        stored_inbound +=
            page.items.iter().filter(|m| m.direction == colloquy_domain::model::Direction::Inbound).count();
    }
    let replies = replies.0.lock().map(|r| r.clone()).unwrap_or_default();
    let (fewest, most) = (replies.values().min().copied().unwrap_or(0), replies.values().max().copied().unwrap_or(0));

    println!("{conversations} conversations × {per_conversation} messages, {senders} concurrent senders, through the local stack\n");
    println!(
        "webhook latency        p50 {:>6.0} ms   p99 {:>6.0} ms",
        percentile(&latencies, 0.5).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0
    );
    println!(
        "accepted               {:>6.1} messages/s ({total} in {:.1} s)",
        total as f64 / sending.as_secs_f64(),
        sending.as_secs_f64()
    );
    println!("all answered after     {:>6.1} s", answered_at.as_secs_f64());
    println!("replies per conversation  {fewest} to {most}");
    println!("stored                 {stored_inbound} of {total} inbound messages in {} conversations", ids.len());
    let resident: Vec<f64> = moto_servers.pids().into_iter().filter_map(rss_mb).collect();
    match resident.as_slice() {
        [] => println!("moto                   (reused, not measured)"),
        sizes => println!(
            "moto                   {:.0} MB resident ({})",
            sizes.iter().sum::<f64>(),
            sizes.iter().map(|mb| format!("{mb:.0} MB")).collect::<Vec<_>>().join(" + ")
        ),
    }
    if stored_inbound != total || ids.len() != conversations {
        return Err("messages were lost or stored twice".into());
    }
    Ok(())
}

/// No trigger waits or is in flight.
async fn worker_idle(aws: &stack::LocalAws, queue_url: &str) -> bool {
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
        return false;
    };
    let attributes = found.attributes.unwrap_or_default();
    let count = |name| attributes.get(&name).and_then(|n: &String| n.parse::<u64>().ok()).unwrap_or(1);
    count(ApproximateNumberOfMessages) == 0 && count(ApproximateNumberOfMessagesNotVisible) == 0
}
