//! The ports: what the use cases need from the outside world, as traits. The adapters crate
//! implements them on DynamoDB, SQS, S3, the Graph API and the system clock.
//! One module per area; everything is re-exported here, so a use case names `crate::ports::X`.

mod agents;
mod conversations;
mod due_work;
mod events;
mod llm;
mod media;
mod policies;
mod prompts;
mod queue;
mod store;
mod tools;
mod trigger;
mod whatsapp;
mod workspaces;

pub use agents::{AgentStore, NumberStore};
pub use conversations::{ConversationRef, ConversationStore, InboundUpdate, MediaUpdate, MessageRef, OutboundRef};
pub use due_work::{Due, DueAnalysis, DueApproval, DueFollowUp, DueKind, DueWork};
pub use events::{EventDelivery, EventStore, EVENT_DELIVERY_TIMEOUT};
pub use llm::{
    ChatReply, ChatRequest, ChatRole, ChatTurn, Llm, LlmError, ToolCallRequest, ToolResult, ToolSpec, LLM_TIMEOUT,
};
pub use media::{
    AudioClip, DownloadError, FileReader, ImageInput, MediaInfo, MediaStore, MediaStoreError, Transcriber, Transcript,
    Unreadable,
};
pub use policies::PolicyStore;
pub use prompts::{PromptFilter, PromptStore, PromptWrite};
pub use queue::{QueueError, TriggerQueue};
pub use store::{Clock, Store, StoreError};
pub use tools::{ToolCallStore, ToolStore};
pub use trigger::{AnalysisTrigger, EventTrigger, FollowUpTrigger, Trigger, Turn};
pub use whatsapp::{
    GraphError, NumberInfo, Outbound, Secret, Sender, TemplateSummary, TokenVault, VaultError, WhatsApp,
};
pub use workspaces::{ApiKeyStore, SessionStore, UsageStore, WorkspaceStore};
