//! Faults on purpose, for `colloquy-bench-load --chaos`: an LLM that answers 5xx or times out on
//! a share of calls, a Graph API that refuses a share of sends (5xx, 130429, 131047) and, on
//! another share, takes the send but never answers (the caller times out; Meta's status webhook
//! for it still comes), and moto paused (SIGSTOP/SIGCONT) for a few seconds.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use colloquy_domain::ports::{
    ChatReply, ChatRequest, GraphError, Llm, LlmError, NumberInfo, Outbound, Secret, Sender, WhatsApp,
};

/// A deterministic sequence of numbers in [0, 1): runs are comparable.
pub struct Dice(AtomicU64);

impl Dice {
    pub fn new(seed: u64) -> Self {
        Self(AtomicU64::new(seed))
    }

    /// splitmix64.
    pub fn roll(&self) -> f64 {
        let mut z = self.0.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed).wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// How much of each thing fails, and what was done.
pub struct Faults {
    pub dice: Dice,
    pub llm_failing: f64,
    pub graph_failing: f64,
    pub graph_lost: f64,
    pub injected: Mutex<HashMap<&'static str, u64>>,
}

impl Faults {
    fn count(&self, what: &'static str) {
        if let Ok(mut injected) = self.injected.lock() {
            *injected.entry(what).or_default() += 1;
        }
    }

    pub fn injected(&self) -> Vec<(&'static str, u64)> {
        let mut all: Vec<_> = self.injected.lock().map(|i| i.clone().into_iter().collect()).unwrap_or_default();
        all.sort();
        all
    }
}

pub struct ChaosLlm {
    pub inner: Arc<dyn Llm>,
    pub faults: Arc<Faults>,
}

#[async_trait]
impl Llm for ChaosLlm {
    async fn complete(&self, request: &ChatRequest) -> Result<ChatReply, LlmError> {
        let roll = self.faults.dice.roll();
        if roll < self.faults.llm_failing / 2.0 {
            self.faults.count("llm 503");
            return Err(LlmError::Status { status: 503, body: "overloaded (chaos)".into() });
        }
        if roll < self.faults.llm_failing {
            self.faults.count("llm time-out");
            tokio::time::sleep(Duration::from_secs(2)).await;
            return Err(LlmError::Timeout);
        }
        self.inner.complete(request).await
    }
}

/// Meta's status webhook for a send whose answer was lost, as Meta would post it.
pub type StatusPoster = Arc<dyn Fn(String, String) + Send + Sync>;

pub struct ChaosWhatsApp {
    pub inner: Arc<dyn WhatsApp>,
    pub faults: Arc<Faults>,
    pub post_status: StatusPoster,
}

#[async_trait]
impl WhatsApp for ChaosWhatsApp {
    async fn send(&self, from: &Sender, message: &Outbound) -> Result<String, GraphError> {
        let roll = self.faults.dice.roll();
        let share = self.faults.graph_failing / 3.0;
        let refusal = |code: i64, http_status: u16| GraphError::Api { http_status, code, message: "chaos".into() };
        if roll < share {
            self.faults.count("graph 5xx");
            return Err(refusal(2, 503));
        }
        if roll < 2.0 * share {
            self.faults.count("graph 130429");
            return Err(refusal(130429, 429));
        }
        if roll < 3.0 * share {
            self.faults.count("graph 131047");
            return Err(refusal(131047, 400));
        }
        if roll < self.faults.graph_failing + self.faults.graph_lost {
            // Meta takes it; its answer never reaches the caller. Its status webhook comes.
            let wamid = self.inner.send(from, message).await?;
            self.faults.count("graph answer lost");
            if let Outbound::Text { callback: Some(callback), .. } = message {
                (self.post_status)(wamid, callback.clone());
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
            return Err(GraphError::Timeout);
        }
        self.inner.send(from, message).await
    }

    async fn mark_read(&self, from: &Sender, wamid: &str) -> Result<(), GraphError> {
        self.inner.mark_read(from, wamid).await
    }

    async fn number_info(&self, phone_number_id: &str, token: &Secret) -> Result<NumberInfo, GraphError> {
        self.inner.number_info(phone_number_id, token).await
    }
}

/// Stops every process in `pids` for `pause`, then lets them go on.
pub async fn pause(pids: &[u32], pause: Duration) {
    let signal = |name: &str| {
        for pid in pids {
            let _ = std::process::Command::new("kill").arg(format!("-{name}")).arg(pid.to_string()).status();
        }
    };
    signal("STOP");
    tokio::time::sleep(pause).await;
    signal("CONT");
}
