//! What answering a conversation touches, named: the worker's pipeline takes this bundle, not the
//! whole `App`, so a stage's signature says which ports it may reach.

use crate::analysis::AnalysisPorts;
use crate::conversations::ConversationPorts;
use crate::events::EventPorts;
use crate::media::MediaPorts;
use crate::numbers::senders::SenderPorts;
use crate::policies::PolicyPorts;
use crate::ports::{
    AgentStore, Clock, ConversationStore, EventDelivery, KnowledgeIndex, KnowledgeStore, Llm, MediaStore, PromptStore,
    ToolCallStore, ToolStore, UsageStore, WhatsApp, WorkspaceStore,
};

/// The ports of one reply: stores by what they hold, the model, WhatsApp, the tools' HTTPS
/// client, and the bundles of the capabilities a reply calls into.
#[derive(Clone, Copy)]
pub struct ReplyPorts<'a> {
    pub conversations: &'a dyn ConversationStore,
    pub agents: &'a dyn AgentStore,
    pub prompts: &'a dyn PromptStore,
    pub tools: &'a dyn ToolStore,
    pub tool_calls: &'a dyn ToolCallStore,
    /// The month's tokens, for the workspace's quota.
    pub usage: &'a dyn UsageStore,
    pub workspaces: &'a dyn WorkspaceStore,
    pub llm: &'a dyn Llm,
    pub whatsapp: &'a dyn WhatsApp,
    /// Tools are called over the same signed HTTPS client as events are delivered.
    pub tool_http: &'a dyn EventDelivery,
    /// The images the model is shown, read back from the media bucket.
    pub bucket: &'a dyn MediaStore,
    pub clock: &'a dyn Clock,
    pub media: MediaPorts<'a>,
    pub policies: PolicyPorts<'a>,
    pub senders: SenderPorts<'a>,
    pub events: EventPorts<'a>,
    pub analysis: AnalysisPorts<'a>,
    /// Takeover and done, which the built-in tools reach.
    pub conversation: ConversationPorts<'a>,
    /// What operators count: replies by outcome, LLM calls, tool calls.
    pub metrics: &'a dyn crate::metrics::Metrics,
    /// The agent's knowledge bases (their snapshot pointers, cached a minute)…
    pub knowledge_bases: &'a dyn KnowledgeStore,
    /// …and their search (by meaning too, when the deployment can embed a query).
    pub knowledge: &'a dyn KnowledgeIndex,
    pub embedder: Option<&'a dyn crate::ports::Embedder>,
    /// A test run's pipeline (its tools stubbed, its events muted): it answers only test
    /// conversations, and the live pipeline never answers one, so a scenario's calls never reach
    /// a real tool, whatever queued the turn.
    pub sandbox: bool,
}
