//! Token usage: counted per workspace and day, and per agent and day.

use crate::model::ids::{AgentId, WorkspaceId};
use crate::ports::ChatReply;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tokens {
    /// Every input token, those read from a provider's prompt cache included.
    #[serde(default)]
    pub input_tokens: u64,
    /// Of `input_tokens`, those read from the provider's prompt cache (billed at a fraction).
    #[serde(default)]
    pub cached_input_tokens: u64,
    #[serde(default)]
    pub output_tokens: u64,
    /// LLM calls.
    #[serde(default)]
    pub calls: u64,
    /// Of the above, what analysis prompts spent (the rest is replies and follow-ups).
    #[serde(default)]
    pub analysis_input_tokens: u64,
    #[serde(default)]
    pub analysis_output_tokens: u64,
    #[serde(default)]
    pub analysis_calls: u64,
    /// Seconds of voice notes and audio transcribed.
    #[serde(default)]
    pub transcribed_seconds: u64,
    /// What test runs spent (replies, simulated contacts, judges): apart from the counters
    /// above, which are the workspace's live traffic.
    #[serde(default)]
    pub test_input_tokens: u64,
    #[serde(default)]
    pub test_output_tokens: u64,
    #[serde(default)]
    pub test_calls: u64,
}

impl Tokens {
    pub fn add(&mut self, other: Tokens) {
        self.input_tokens += other.input_tokens;
        self.cached_input_tokens += other.cached_input_tokens;
        self.output_tokens += other.output_tokens;
        self.calls += other.calls;
        self.analysis_input_tokens += other.analysis_input_tokens;
        self.analysis_output_tokens += other.analysis_output_tokens;
        self.analysis_calls += other.analysis_calls;
        self.transcribed_seconds += other.transcribed_seconds;
        self.test_input_tokens += other.test_input_tokens;
        self.test_output_tokens += other.test_output_tokens;
        self.test_calls += other.test_calls;
    }

    /// One LLM call's tokens (a reply, a tool step, a follow-up).
    pub fn of(answer: &ChatReply) -> Self {
        Self {
            input_tokens: answer.input_tokens,
            cached_input_tokens: answer.cached_input_tokens,
            output_tokens: answer.output_tokens,
            calls: 1,
            ..Self::default()
        }
    }

    /// One analysis call's tokens: counted in the totals and as analysis.
    pub fn analysis(answer: &ChatReply) -> Self {
        Self {
            analysis_input_tokens: answer.input_tokens,
            analysis_output_tokens: answer.output_tokens,
            analysis_calls: 1,
            ..Self::of(answer)
        }
    }

    /// One test run's call: counted apart from the live traffic.
    pub fn test(answer: &ChatReply) -> Self {
        Self {
            test_input_tokens: answer.input_tokens,
            test_output_tokens: answer.output_tokens,
            test_calls: 1,
            ..Self::default()
        }
    }

    /// The live traffic's tokens.
    pub fn total(&self) -> u64 {
        self.input_tokens + self.output_tokens
    }

    /// Everything the provider bills: the live traffic's tokens and the test runs'.
    pub fn billed(&self) -> u64 {
        self.total() + self.test_input_tokens + self.test_output_tokens
    }
}

/// One LLM call's tokens, to add to the day's counters.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageDelta {
    pub workspace_id: WorkspaceId,
    pub agent_id: AgentId,
    /// `yyyy-mm-dd` (UTC)
    pub day: String,
    pub tokens: Tokens,
}

/// A day's counters, for the workspace or for one agent.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageRow {
    pub day: String,
    pub agent_id: Option<AgentId>,
    pub tokens: Tokens,
}

pub fn day_of(at: time::OffsetDateTime) -> String {
    let date = at.to_offset(time::UtcOffset::UTC).date();
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}
