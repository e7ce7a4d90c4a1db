//! `colloquy-bench-suite`: a test suite of 20 scenarios (16 scripted, two turns each; 4 with a
//! simulated contact) run twice against the local stack's agent and the local stand-in model,
//! through the worker as the local stack runs it (4 pollers). Prints each run's time to finish,
//! its verdicts, and whether the two runs agree; fails unless both finish within 60 s, every
//! scenario passes, and the second run decides every expectation as the first did (the stand-in
//! is deterministic, so a suite passes or fails reproducibly).
//!
//! Usage: cargo run --release -p colloquy-tools --bin colloquy-bench-suite [-- SCENARIOS]
//! (moto on MOTO_PORT, default 5099; started if none answers there).

use std::sync::Arc;
use std::time::{Duration, Instant};

use colloquy_domain::model::{Principal, Role};
use colloquy_domain::test_suites::{self, model::Scenario, run::RunStatus, runs::StartRun, NewTestSuite};
use colloquy_functions::worker::Worker;
use colloquy_tools::event_source::LocalEventSource;
use colloquy_tools::load::Bench;
use colloquy_tools::{dev, graph_standin, llm_standin};
use serde_json::json;

const POLLERS: usize = 4;
const GOAL: Duration = Duration::from_secs(60);

#[tokio::main]
async fn main() -> Result<(), String> {
    if std::env::var("RUST_LOG").is_err() {
        std::env::set_var("RUST_LOG", "warn");
    }
    std::env::set_var("LOG_FORMAT", "text");
    colloquy_functions::telemetry::init();
    let count: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(20);
    let moto_port: u16 = std::env::var("MOTO_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(5099);
    let bench = Bench::start("suite", moto_port, |port| {
        Ok((Arc::new(graph_standin::client(port)?), Arc::new(llm_standin::client(port)?)))
    })
    .await?;
    let worker = Arc::new(Worker::new(bench.app.clone()));
    for _ in 0..POLLERS {
        let source =
            LocalEventSource::new(bench.aws.sqs_client(), &bench.resources.queue_url, 1).await?.honouring_the_worker();
        let worker = worker.clone();
        tokio::spawn(async move {
            loop {
                match source.poll_once(&worker).await {
                    Ok(polled) if polled.received > 0 => {}
                    _ => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
        });
    }
    let admin = Principal { workspace_id: bench.workspace.clone(), role: Role::Admin, key_prefix: "bench".into() };
    let number = bench.app.store.get_number(dev::DEV_PHONE_NUMBER_ID).await.map_err(|e| e.to_string())?;
    let agent_id = number.and_then(|n| n.default_agent_id).ok_or("the local agent is missing")?;
    let suite = NewTestSuite { name: "Bench".into(), description: String::new(), scenarios: scenarios(count)? };
    let suite =
        test_suites::create(&*bench.app.store, &*bench.app.clock, &admin, suite).await.map_err(|e| e.to_string())?;

    let mut decided = Vec::new();
    let mut failures = Vec::new();
    for round in 1..=2 {
        let started = Instant::now();
        let start = StartRun { agent_id: agent_id.clone(), pick: None };
        let run = test_suites::runs::start(&bench.app.run_ports(), &admin, &suite.id, start)
            .await
            .map_err(|e| e.to_string())?;
        let (status, results) = loop {
            let (run, results) = test_suites::runs::get(&*bench.app.store, &admin, &suite.id, &run.id)
                .await
                .map_err(|e| e.to_string())?;
            let status = RunStatus::of(&run, &results);
            if status != RunStatus::Running || started.elapsed() > GOAL * 2 {
                break (status, results);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let took = started.elapsed();
        let verdicts: Vec<(u32, Vec<bool>)> =
            results.iter().map(|r| (r.index, r.verdicts.iter().map(|v| v.passed).collect())).collect();
        let mut sorted = verdicts.clone();
        sorted.sort();
        let passed = results.iter().filter(|r| r.passed).count();
        let slowest = results.iter().map(|r| r.duration_ms).max().unwrap_or(0);
        println!(
            "run {round}: {} in {:.1} s — {passed} of {count} scenarios passed, {} expectations decided, slowest scenario {slowest} ms",
            status.as_str(),
            took.as_secs_f64(),
            verdicts.iter().map(|(_, v)| v.len()).sum::<usize>()
        );
        for result in results.iter().filter(|r| !r.passed) {
            println!(
                "  {} failed: {:?} {:?}",
                result.name,
                result.error,
                result.verdicts.iter().map(|v| &v.why).collect::<Vec<_>>()
            );
        }
        if took > GOAL {
            failures.push(format!("run {round} took {:.1} s (goal {} s)", took.as_secs_f64(), GOAL.as_secs()));
        }
        if status != RunStatus::Passed {
            failures.push(format!("run {round} {}", status.as_str()));
        }
        decided.push(sorted);
    }
    let same = decided.first() == decided.last();
    println!("the two runs decided every expectation alike: {same}");
    if !same {
        failures.push("the two runs decided differently".into());
    }
    match failures.is_empty() {
        true => Ok(()),
        false => Err(failures.join("; ")),
    }
}

/// Scripted scenarios checking the stand-in's echo every way a suite can (a reply that matches
/// and one that must not, no tool, no handoff, a judge whose rubric quotes what the echo says),
/// and every fifth a simulated contact with a goal.
fn scenarios(count: usize) -> Result<Vec<Scenario>, String> {
    let scenarios: Vec<serde_json::Value> = (0..count)
        .map(|n| {
            let expect = json!([
                {"replyMatches": format!("You said: .*flat {n}")}, {"replyNotMatches": "(?i)sorry"},
                {"notCallsTool": "handoff_to_human"}, {"handsOff": false},
                {"judge": {"rubric": format!("The agent repeats \"flat {n}\""), "passMark": 7}}
            ]);
            if n % 5 == 4 {
                json!({"name": format!("simulated {n}"), "expect": expect,
                       "simulate": {"persona": "A tenant in a hurry", "goal": format!("Ask about flat {n}"), "maxTurns": 3}})
            } else {
                json!({"name": format!("scripted {n}"), "expect": expect,
                       "turns": [format!("Hello, is flat {n} free?"), format!("And can I see flat {n} on Saturday?")]})
            }
        })
        .collect();
    test_suites::parse::scenarios(&serde_json::Value::Array(scenarios))
        .map_err(|e| format!("{}: {}", e.field, e.problem))
}
