//! The ports: what the use cases need from the outside world, as traits. The adapters crate
//! implements them on DynamoDB, SQS, S3, the Graph API and the system clock.
//! A capability's port lives in its folder (`conversations/port.rs`); the ports that belong to no
//! one capability live here, and every port is named here, so a use case or an adapter writes
//! `crate::ports::X`.

mod llm;
mod queue;
mod store;
mod trigger;
mod whatsapp;

pub use crate::agents::port::AgentStore;
pub use crate::api_keys::port::ApiKeyStore;
pub use crate::audit::port::AuditLog;
pub use crate::console_sessions::port::SessionStore;
pub use crate::contacts::port::ContactStore;
pub use crate::conversations::port::{
    ConversationRef, ConversationStore, InboundUpdate, MediaUpdate, MessageRef, OutboundRef,
};
pub use crate::dead_letters::port::DeadLetterStore;
pub use crate::due_work::port::{Due, DueAnalysis, DueApproval, DueFollowUp, DueKind, DueWork};
pub use crate::events::port::{DeliveryError, EventDelivery, EventStore, EVENT_DELIVERY_TIMEOUT};
pub use crate::knowledge::port::{
    DocumentFetcher, Embedder, Fetched, IndexError, KnowledgeIndex, KnowledgeStore, Query as KnowledgeQuery,
};
pub use crate::media::port::{
    AudioClip, DownloadError, FileReader, ImageInput, MediaInfo, MediaStore, MediaStoreError, Transcriber, Transcript,
    Unreadable,
};
pub use crate::numbers::port::NumberStore;
pub use crate::policies::port::PolicyStore;
pub use crate::prompts::port::{PromptFilter, PromptStore, PromptWrite};
pub use crate::rate_limits::port::RateLimiter;
pub use crate::retention::port::RetentionStore;
pub use crate::test_suites::port::TestSuiteStore;
pub use crate::tools::port::{ToolCallStore, ToolStore};
pub use crate::usage::port::UsageStore;
pub use crate::workspaces::port::WorkspaceStore;
pub use llm::{
    ChatReply, ChatRequest, ChatRole, ChatTurn, Llm, LlmError, ToolCallRequest, ToolResult, ToolSpec, LLM_TIMEOUT,
};
pub use queue::{QueueError, TriggerQueue};
pub use store::{Clock, Store, StoreError};
pub use trigger::{
    AnalysisTrigger, Attempt, EventTrigger, FollowUpTrigger, KnowledgeTrigger, TestScenarioTrigger, Trigger, Turn,
};
pub use whatsapp::{
    GraphError, NumberInfo, Outbound, Secret, Sender, TemplateSummary, TokenVault, VaultError, WhatsApp,
};
