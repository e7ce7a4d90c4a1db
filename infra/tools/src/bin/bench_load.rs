//! `colloquy-bench-load`: N conversations × M signed, Meta-shaped messages sent by C concurrent
//! senders through the real local stack (moto, the local API, the worker fed from the queue, the
//! WhatsApp and LLM stand-ins). Prints the webhook's p50/p99, messages accepted per second, the
//! time until every conversation's last message is answered, replies per conversation and moto's
//! memory, and checks that nothing was lost or stored twice.
//!
//! Usage: cargo run --release -p colloquy-tools --bin colloquy-bench-load [-- N M C]
//! (default 100 conversations × 10 messages, 16 senders; moto on MOTO_PORT, default 5097).

use std::sync::Arc;
use std::time::{Duration, Instant};

use colloquy_domain::model::Direction;
use colloquy_functions::worker::Worker;
use colloquy_tools::event_source::LocalEventSource;
use colloquy_tools::load::{self, CountingWhatsApp, Replies};
use colloquy_tools::{graph_standin, llm_standin, moto};

#[tokio::main]
async fn main() -> Result<(), String> {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let (conversations, per_conversation, senders) =
        (args.first().copied().unwrap_or(100), args.get(1).copied().unwrap_or(10), args.get(2).copied().unwrap_or(16));
    let moto_port: u16 = std::env::var("MOTO_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(5097);
    let replies = Arc::new(Replies::default());
    let bench = load::Bench::start("load", moto_port, |port| {
        let whatsapp = CountingWhatsApp(Arc::new(graph_standin::client(port)?), replies.clone());
        Ok((Arc::new(whatsapp), Arc::new(llm_standin::client(port)?)))
    })
    .await?;

    // The worker as Lambda would run it: several invocations at once (`BENCH_POLLERS`, default
    // 4), each a batch of ten.
    let pollers: usize = std::env::var("BENCH_POLLERS").ok().and_then(|n| n.parse().ok()).unwrap_or(4);
    let worker = Arc::new(Worker::new(bench.app.clone()));
    for _ in 0..pollers {
        let source = LocalEventSource::new(bench.aws.sqs_client(), &bench.resources.queue_url, 1).await?;
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

    let started = Instant::now();
    let sent = load::send_all(bench.port, (conversations, per_conversation, senders), 0).await?;
    let total = conversations * per_conversation;
    eprintln!(
        "all sent in {:.1} s (p50 {:.0} ms, p99 {:.0} ms); waiting for the answers…",
        sent.took.as_secs_f64(),
        load::percentile(&sent.latencies, 0.5).as_secs_f64() * 1000.0,
        load::percentile(&sent.latencies, 0.99).as_secs_f64() * 1000.0
    );

    let answered_at = loop {
        let answered = replies.contacts();
        if answered >= conversations && load::worker_idle(&bench.aws, &bench.resources.queue_url).await {
            break started.elapsed();
        }
        if started.elapsed() > Duration::from_secs(300) {
            return Err(format!("after 300 s only {answered} of {conversations} conversations were answered"));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };

    let stored = load::stored(&bench.store, &bench.workspace).await?;
    let stored_inbound: usize =
        stored.iter().map(|(_, messages)| messages.iter().filter(|m| m.direction == Direction::Inbound).count()).sum();
    let (fewest, most) = replies.spread();

    println!("{conversations} conversations × {per_conversation} messages, {senders} concurrent senders, through the local stack\n");
    println!(
        "webhook latency        p50 {:>6.0} ms   p99 {:>6.0} ms",
        load::percentile(&sent.latencies, 0.5).as_secs_f64() * 1000.0,
        load::percentile(&sent.latencies, 0.99).as_secs_f64() * 1000.0
    );
    println!(
        "accepted               {:>6.1} messages/s ({total} in {:.1} s)",
        total as f64 / sent.took.as_secs_f64(),
        sent.took.as_secs_f64()
    );
    println!("all answered after     {:>6.1} s", answered_at.as_secs_f64());
    println!("replies per conversation  {fewest} to {most}");
    println!("stored                 {stored_inbound} of {total} inbound messages in {} conversations", stored.len());
    print_moto_memory(&bench.moto_servers);
    if stored_inbound != total || stored.len() != conversations {
        return Err("messages were lost or stored twice".into());
    }
    Ok(())
}

fn print_moto_memory(servers: &moto::Servers) {
    let resident: Vec<f64> = servers.pids().into_iter().filter_map(load::rss_mb).collect();
    match resident.as_slice() {
        [] => println!("moto                   (reused, not measured)"),
        sizes => println!(
            "moto                   {:.0} MB resident ({})",
            sizes.iter().sum::<f64>(),
            sizes.iter().map(|mb| format!("{mb:.0} MB")).collect::<Vec<_>>().join(" + ")
        ),
    }
}
