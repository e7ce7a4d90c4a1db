//! What operators count. Each thing that happens (a reply made or not, an LLM call, a tool call,
//! a dead letter…) is one measurement: a kind, a few dimensions whose values are bounded (an
//! outcome, a reason code, a provider — never an id, so the number of metric series does not
//! grow with tenants), values with their units, and the workspace as a property (searchable in
//! the logs, not a dimension). The adapter writes each as a line of CloudWatch's embedded metric
//! format; no request is made to record one.

mod graph;

pub use graph::MeteredWhatsApp;

use crate::model::WorkspaceId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Milliseconds,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Milliseconds => "Milliseconds",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    /// What it is about: `Reply`, `LlmCall`, `ToolCall`, `DeadLetter`, `Inbound`, `Run`.
    pub kind: &'static str,
    /// Bounded values only.
    pub dimensions: Vec<(&'static str, &'static str)>,
    pub values: Vec<(&'static str, f64, Unit)>,
    pub workspace: Option<WorkspaceId>,
}

impl Measurement {
    fn new(kind: &'static str, workspace: &WorkspaceId) -> Self {
        Self { kind, dimensions: Vec::new(), values: Vec::new(), workspace: Some(workspace.clone()) }
    }

    fn dimension(mut self, name: &'static str, value: &'static str) -> Self {
        self.dimensions.push((name, value));
        self
    }

    fn value(mut self, name: &'static str, value: f64, unit: Unit) -> Self {
        self.values.push((name, value, unit));
        self
    }

    /// A reply sent, or not: `outcome` is `sent`, `failed` or `skipped`; `reason` a code
    /// (`meta_refused`, `takeover`, `window_closed`, `llm_refused`, `gave_up`…; `none` when sent).
    pub fn reply(workspace: &WorkspaceId, outcome: &'static str, reason: &'static str) -> Self {
        Self::new("Reply", workspace).dimension("outcome", outcome).dimension("reason", reason).value(
            "Replies",
            1.0,
            Unit::Count,
        )
    }

    /// A reply sent to WhatsApp, and how long its parts took to send (Meta's answers included).
    pub fn reply_sent(workspace: &WorkspaceId, send_millis: u128) -> Self {
        Self::reply(workspace, "sent", "none").value("SendLatency", send_millis as f64, Unit::Milliseconds)
    }

    /// A trigger the worker received: how long it waited in the queue since it was sent (on a
    /// `retry`, the backoff included), by kind.
    pub fn trigger(workspace: &WorkspaceId, kind: &'static str, receive: &'static str, waited_millis: u64) -> Self {
        Self::new("Trigger", workspace)
            .dimension("kind", kind)
            .dimension("receive", receive)
            .value("Triggers", 1.0, Unit::Count)
            .value("QueueWait", waited_millis as f64, Unit::Milliseconds)
    }

    /// One LLM call that answered: how long it took and its tokens.
    pub fn llm_call(workspace: &WorkspaceId, provider: &'static str, millis: u128, tokens: LlmTokens) -> Self {
        Self::new("LlmCall", workspace)
            .dimension("provider", provider)
            .dimension("outcome", "answered")
            .value("LlmCalls", 1.0, Unit::Count)
            .value("LlmLatency", millis as f64, Unit::Milliseconds)
            .value("InputTokens", tokens.input as f64, Unit::Count)
            .value("CachedInputTokens", tokens.cached as f64, Unit::Count)
            .value("OutputTokens", tokens.output as f64, Unit::Count)
    }

    /// One LLM call that failed, by class: `timeout`, `throttled`, `server_error`, `refused`,
    /// `network`, `malformed`, `not_configured`.
    pub fn llm_error(workspace: &WorkspaceId, provider: &'static str, class: &'static str, millis: u128) -> Self {
        Self::new("LlmCall", workspace)
            .dimension("provider", provider)
            .dimension("outcome", class)
            .value("LlmErrors", 1.0, Unit::Count)
            .value("LlmLatency", millis as f64, Unit::Milliseconds)
    }

    /// A tool call that ended (`succeeded`, `failed`), and how long the tool took.
    pub fn tool_call(workspace: &WorkspaceId, status: &'static str, millis: u128) -> Self {
        Self::new("ToolCall", workspace).dimension("status", status).value("ToolCalls", 1.0, Unit::Count).value(
            "ToolLatency",
            millis as f64,
            Unit::Milliseconds,
        )
    }

    /// A trigger whose last try failed, by kind.
    pub fn dead_letter(workspace: &WorkspaceId, kind: &'static str) -> Self {
        Self::new("DeadLetter", workspace).dimension("kind", kind).value("DeadLetters", 1.0, Unit::Count)
    }

    /// A follow-up or an analysis that ran (`kind`), with its outcome (`done`, `retry`).
    pub fn run(workspace: &WorkspaceId, kind: &'static str, outcome: &'static str) -> Self {
        Self::new("Run", workspace).dimension("kind", kind).dimension("outcome", outcome).value(
            "Runs",
            1.0,
            Unit::Count,
        )
    }

    /// A contact's message the webhook took for a registered number, by WhatsApp type (`text`,
    /// `image`, `audio`…; `other`); Meta's redelivery of one counts again.
    pub fn inbound(workspace: &WorkspaceId, kind: &'static str) -> Self {
        Self::new("Inbound", workspace).dimension("type", kind).value("InboundMessages", 1.0, Unit::Count)
    }
}

impl Measurement {
    /// Media a contact sent, by type (`audio`, `image`, `document`…) and outcome (`stored`,
    /// `failed`, `blocked` by a policy).
    pub fn media(workspace: &WorkspaceId, kind: &'static str, outcome: &'static str) -> Self {
        Self::new("Media", workspace).dimension("type", kind).dimension("outcome", outcome).value(
            "MediaProcessed",
            1.0,
            Unit::Count,
        )
    }

    /// A trigger put off for the quiet period (the contact is still writing), and for how long.
    pub fn quiet_period(workspace: &WorkspaceId, wait_millis: u128) -> Self {
        Self::new("QuietPeriod", workspace).value("QuietPeriodWait", wait_millis as f64, Unit::Milliseconds)
    }

    /// A call to Meta's Graph API: which (`send`, `mark_read`, `media_info`, `download`…) and its
    /// outcome (`ok`, or Meta's error code among those an operator acts on, `timeout`, `network`,
    /// `other`), with its latency; the workspace whose number called (none for a number not yet
    /// registered).
    pub fn graph_call(
        workspace: Option<&WorkspaceId>,
        operation: &'static str,
        outcome: &'static str,
        millis: u128,
    ) -> Self {
        Self { kind: "GraphCall", dimensions: Vec::new(), values: Vec::new(), workspace: workspace.cloned() }
            .dimension("operation", operation)
            .dimension("outcome", outcome)
            .value("GraphCalls", 1.0, Unit::Count)
            .value("GraphLatency", millis as f64, Unit::Milliseconds)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LlmTokens {
    pub input: u64,
    pub cached: u64,
    pub output: u64,
}

/// Where measurements go.
pub trait Metrics: Send + Sync {
    fn record(&self, measurement: Measurement);
}

/// Counts nothing (tests that do not look, tools).
pub struct NoMetrics;

impl Metrics for NoMetrics {
    fn record(&self, _: Measurement) {}
}

/// One LLM call, counted: its latency and tokens, or the class of its failure.
pub async fn measured_llm_call(
    llm: &dyn crate::ports::Llm,
    metrics: &dyn Metrics,
    workspace: &WorkspaceId,
    request: &crate::ports::ChatRequest,
) -> Result<crate::ports::ChatReply, crate::ports::LlmError> {
    let started = std::time::Instant::now();
    let answer = llm.complete(request).await;
    let millis = started.elapsed().as_millis();
    let provider = request.provider.as_str();
    metrics.record(match &answer {
        Ok(reply) => {
            let tokens =
                LlmTokens { input: reply.input_tokens, cached: reply.cached_input_tokens, output: reply.output_tokens };
            Measurement::llm_call(workspace, provider, millis, tokens)
        }
        Err(err) => Measurement::llm_error(workspace, provider, err.class(), millis),
    });
    answer
}
