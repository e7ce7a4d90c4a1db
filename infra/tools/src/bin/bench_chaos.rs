//! `colloquy-bench-chaos`: the load benchmark while things fail on purpose. 100 conversations ×
//! 10 messages through the local stack, with the LLM failing 20% of calls (503 or a time-out),
//! the Graph API refusing 10% of sends (5xx, 130429, 131047) and losing its answer on another 5%
//! (Meta took the send; its status webhook comes), moto paused twice for 3 s (SIGSTOP/SIGCONT),
//! and one poller in four abandoning a batch now and then as a timed-out invocation would (its
//! records come back after 15 s, standing in for the queue's visibility timeout). The worker's
//! own backoff and deferrals are honoured, as on Lambda.
//!
//! Prints messages sent, stored and answered, replies per conversation, duplicate sends,
//! dead-lettered triggers and the time to drain; fails unless nothing was lost, no reply part
//! was sent twice, every conversation was answered or its failure recorded with a reason, and
//! the queue drained within 180 s.
//!
//! Usage: cargo run --release -p colloquy-tools --bin colloquy-bench-chaos [-- N M C]
//! (moto on MOTO_PORT, default 5098: it is paused, so it must be this run's own).

use std::sync::Arc;
use std::time::{Duration, Instant};

use colloquy_domain::model::{DeliveryStatus, Direction, Message};
use colloquy_functions::worker::Worker;
use colloquy_tools::chaos::{self, ChaosLlm, ChaosWhatsApp, Dice, Faults};
use colloquy_tools::event_source::LocalEventSource;
use colloquy_tools::load::{self, Bench, CountingWhatsApp, Replies};
use colloquy_tools::{graph_standin, llm_standin};

const POLLERS: usize = 4;
const DRAIN_GOAL: Duration = Duration::from_secs(180);

#[tokio::main]
async fn main() -> Result<(), String> {
    // What the worker says of the faults (RUST_LOG; warnings by default), as text on stderr.
    if std::env::var("RUST_LOG").is_err() {
        std::env::set_var("RUST_LOG", "warn");
    }
    std::env::set_var("LOG_FORMAT", "text");
    colloquy_functions::telemetry::init();
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let (conversations, per_conversation, senders) =
        (args.first().copied().unwrap_or(100), args.get(1).copied().unwrap_or(10), args.get(2).copied().unwrap_or(16));
    let moto_port: u16 = std::env::var("MOTO_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(5098);
    let replies = Arc::new(Replies::default());
    let faults = Arc::new(Faults {
        dice: Dice::new(2026),
        llm_failing: 0.20,
        graph_failing: 0.10,
        graph_lost: 0.05,
        injected: Default::default(),
    });
    let http = colloquy_adapters::https::client(Duration::from_secs(30))?;
    let (counting, chaotic) = (replies.clone(), faults.clone());
    let bench = Bench::start("chaos", moto_port, move |port| {
        let counted = CountingWhatsApp(Arc::new(graph_standin::client(port)?), counting);
        let post_status: chaos::StatusPoster = Arc::new(move |wamid, callback| {
            let http = http.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs(1)).await;
                if let Err(err) = load::post(&http, port, load::status_delivery(&wamid, &callback)).await {
                    eprintln!("a status webhook was not taken: {err}");
                }
            });
        });
        let whatsapp = ChaosWhatsApp { inner: Arc::new(counted), faults: chaotic.clone(), post_status };
        let llm = ChaosLlm { inner: Arc::new(llm_standin::client(port)?), faults: chaotic };
        Ok((Arc::new(whatsapp), Arc::new(llm)))
    })
    .await?;
    let moto = bench.moto_servers.pids();
    if moto.is_empty() {
        return Err(format!("moto on port {moto_port} was reused: this benchmark pauses moto, so it needs its own (set MOTO_PORT to a free port)"));
    }

    let worker = Arc::new(Worker::new(bench.app.clone()));
    let abandoned = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for poller in 0..POLLERS {
        let source =
            LocalEventSource::new(bench.aws.sqs_client(), &bench.resources.queue_url, 1).await?.honouring_the_worker();
        let (worker, abandoned) = (worker.clone(), abandoned.clone());
        tokio::spawn(async move {
            for round in 0usize.. {
                // One poller in four drops a batch every 20th round, as a timed-out invocation.
                if poller == 0 && round % 20 == 19 {
                    if let Ok(dropped) = source.abandon_a_batch(15).await {
                        abandoned.fetch_add(dropped, std::sync::atomic::Ordering::Relaxed);
                    }
                    continue;
                }
                match source.poll_once(&worker).await {
                    Ok(polled) if polled.received > 0 => {}
                    _ => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        });
    }
    let pauses = tokio::spawn(async move {
        for at in [Duration::from_secs(3), Duration::from_secs(9)] {
            tokio::time::sleep(at).await;
            chaos::pause(&moto, Duration::from_secs(3)).await;
        }
    });

    let started = Instant::now();
    let sent = load::send_all(bench.port, (conversations, per_conversation, senders), 30).await?;
    eprintln!("all {} messages taken in {:.1} s; draining…", conversations * per_conversation, sent.took.as_secs_f64());
    pauses.await.map_err(|e| e.to_string())?;
    let drained = drain(&bench, started).await?;

    let stored = load::stored(&bench.store, &bench.workspace).await?;
    let report = Report::of(&stored, conversations * per_conversation);
    let dead = dead_lettered(&bench).await;
    print(&faults, &sent, &report, &replies, dead, abandoned.load(std::sync::atomic::Ordering::Relaxed), drained);
    let unanswered = report.conversations - report.answered - report.failed_with_reason;
    match () {
        _ if report.stored != report.sent || report.conversations != conversations => {
            Err("messages were lost or stored twice".into())
        }
        _ if replies.duplicates() > 0 => Err("a reply part was sent twice".into()),
        _ if unanswered > 0 => {
            Err(format!("{unanswered} conversations were neither answered nor failed with a reason"))
        }
        _ if drained > DRAIN_GOAL => Err(format!("drained after {:.0} s, past the goal", drained.as_secs_f64())),
        _ => Ok(()),
    }
}

/// Waits until no trigger waits or is in flight (twice, a second apart): the time since `started`.
async fn drain(bench: &Bench, started: Instant) -> Result<Duration, String> {
    let mut idle_in_a_row = 0;
    loop {
        if load::worker_idle(&bench.aws, &bench.resources.queue_url).await {
            idle_in_a_row += 1;
            if idle_in_a_row == 2 {
                return Ok(started.elapsed().saturating_sub(Duration::from_secs(1)));
            }
        } else {
            idle_in_a_row = 0;
        }
        if started.elapsed().as_secs().is_multiple_of(15) {
            let (waiting, in_flight) = load::queue_depth(&bench.aws, &bench.resources.queue_url).await;
            eprintln!("{:>4.0} s: {waiting} triggers waiting, {in_flight} in flight", started.elapsed().as_secs_f64());
        }
        if started.elapsed() > Duration::from_secs(400) {
            return Err("the queue did not drain in 400 s".into());
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn dead_lettered(bench: &Bench) -> u64 {
    use aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages;
    let found = bench
        .aws
        .sqs_client()
        .get_queue_attributes()
        .queue_url(&bench.resources.dead_letter_queue_url)
        .attribute_names(ApproximateNumberOfMessages)
        .send()
        .await;
    found
        .ok()
        .and_then(|f| f.attributes)
        .and_then(|a| a.get(&ApproximateNumberOfMessages).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

struct Report {
    sent: usize,
    stored: usize,
    conversations: usize,
    /// Conversations whose last message has a reply sent after it.
    answered: usize,
    /// Conversations whose reply failed, with the reason recorded on it.
    failed_with_reason: usize,
}

impl Report {
    fn of(stored: &[(colloquy_domain::model::ConversationId, Vec<Message>)], sent: usize) -> Self {
        let mut report = Report { sent, stored: 0, conversations: stored.len(), answered: 0, failed_with_reason: 0 };
        for (_, messages) in stored {
            report.stored += messages.iter().filter(|m| m.direction == Direction::Inbound).count();
            let last_inbound =
                messages.iter().filter(|m| m.direction == Direction::Inbound).map(|m| m.created_at).max();
            let after = |m: &&Message| m.direction == Direction::Outbound && Some(m.created_at) >= last_inbound;
            let sent = |m: &&Message| {
                matches!(m.status, DeliveryStatus::Sent | DeliveryStatus::Delivered | DeliveryStatus::Read)
            };
            let failed = |m: &&Message| m.status == DeliveryStatus::Failed && m.error.is_some();
            if messages.iter().filter(after).any(|m| sent(&m)) {
                report.answered += 1;
            } else if messages.iter().filter(after).any(|m| failed(&m)) {
                report.failed_with_reason += 1;
            }
        }
        report
    }
}

fn print(
    faults: &Faults,
    sent: &load::Sent,
    report: &Report,
    replies: &Replies,
    dead: u64,
    abandoned: usize,
    drained: Duration,
) {
    let (fewest, most) = replies.spread();
    println!("chaos: {} messages over {} conversations through the local stack\n", report.sent, report.conversations);
    let injected: Vec<String> = faults.injected().into_iter().map(|(what, n)| format!("{what} ×{n}")).collect();
    println!("faults injected         {}", injected.join(", "));
    println!("                        moto paused 2 × 3 s; {abandoned} triggers in abandoned batches");
    println!("webhook redeliveries    {} (deliveries the webhook did not take at first)", sent.redeliveries);
    println!("stored                  {} of {} inbound messages", report.stored, report.sent);
    println!(
        "conversations           {} answered, {} failed with a reason, {} neither",
        report.answered,
        report.failed_with_reason,
        report.conversations - report.answered - report.failed_with_reason
    );
    println!("replies per conversation  {fewest} to {most}");
    println!("duplicate sends         {}", replies.duplicates());
    println!("dead-lettered triggers  {dead}");
    println!("drained after           {:.1} s (goal: {} s)", drained.as_secs_f64(), DRAIN_GOAL.as_secs());
}
