//! `colloquy-bench-console`: renders the inbox of a workspace with 1,000 conversations (a tenth
//! of them waiting for a person, a third with names) the way the console's page does, and prints
//! the time (median and slowest of 50 renders) and the size of the HTML beside the issue's
//! budgets (≤ 100 ms, ≤ 100 KB). The store is not involved: this is the server-side rendering.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use colloquy_api::console::inbox::{list, Loaded, SHOWN};
use colloquy_api::console::views::Filter;
use colloquy_domain::model::{AgentId, Channel, Contact, Conversation};
use time::OffsetDateTime;

const CONVERSATIONS: usize = 1_000;
const RUNS: usize = 50;

fn workspace(now: OffsetDateTime) -> Loaded {
    let mut conversations = Vec::with_capacity(CONVERSATIONS);
    let mut awaiting = HashSet::new();
    for n in 0..CONVERSATIONS {
        let started = now - time::Duration::minutes(n as i64 * 7);
        let mut conversation =
            Conversation::start_api(&"ws_bench".into(), AgentId::from(format!("agent_{}", n % 3)), started);
        let wa_id = format!("4915{n:08}");
        let name = (n % 3 == 0).then(|| format!("Contact <{n}> & Co"));
        conversation.channel = Channel::WhatsApp {
            phone_number_id: "106540352242922".into(),
            contact: Contact { phone_number: format!("+{wa_id}"), wa_id, name },
        };
        conversation.last_inbound_at = Some(started);
        conversation.last_message =
            Some("Hi, is the 2-bedroom still available? We would like to see it on Saturday.".into());
        if n % 10 == 0 {
            awaiting.insert(conversation.id.clone());
        }
        conversations.push(conversation);
    }
    let agents: HashMap<AgentId, String> =
        (0..3).map(|n| (AgentId::from(format!("agent_{n}")), format!("Leasing assistant {n}"))).collect();
    Loaded { conversations, awaiting, agents, since: "bench".into() }
}

fn main() {
    let now = OffsetDateTime::now_utc();
    let loaded = workspace(now);
    let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
    let mut bytes = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        let html = list(&loaded, Filter::All, "", now.unix_timestamp(), now).into_string();
        times.push(started.elapsed());
        bytes = html.len();
    }
    times.sort();
    let median = times[RUNS / 2];
    let slowest = times[RUNS - 1];
    println!("inbox of {CONVERSATIONS} conversations (rows shown: {SHOWN}), {RUNS} renders:");
    println!("  median {:.2} ms, slowest {:.2} ms   (budget ≤ 100 ms)", ms(median), ms(slowest));
    println!("  HTML {:.1} KB                        (budget ≤ 100 KB)", bytes as f64 / 1024.0);
    let filtered = list(&loaded, Filter::NeedsPerson, "", now.unix_timestamp(), now).into_string();
    println!("  needs-a-person filter: {:.1} KB", filtered.len() as f64 / 1024.0);
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
