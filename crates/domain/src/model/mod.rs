//! The values every capability shares (ids, limits, timestamps, pages, text rules), and the
//! main types of each capability by name, so that `crate::model::Conversation` reads the same
//! from everywhere.

pub mod cache;
pub mod deadline;
pub mod formatting;
pub mod ids;
pub use ids::{
    AgentId, ConversationId, DocumentId, EventId, KnowledgeBaseId, MessageId, PolicyId, PromptId, TestRunId,
    TestSuiteId, ToolId, WorkspaceId,
};
pub mod input;
pub mod outbound_url;
pub mod page;
pub mod phone;
pub mod signing;
pub mod timestamp;
pub mod values;

pub use crate::agents::model::{Agent, FollowUpPolicy, ModelSettings, Provider};
pub use crate::api_keys::model::{ApiKey, IssuedKey, Principal, Role};
pub use crate::conversations::model::{
    Amendment, Channel, ChannelKind, Contact, Conversation, DeliveryStatus, Direction, ErrorReason, Message,
    MessageError, MessageKind, PromptUsed, TokenUsage,
};
pub use crate::media::model::MediaRef;
pub use crate::numbers::model::WhatsAppNumber;
pub use crate::numbers::template::{Card, TemplateMessage, TemplateVariables};
pub use crate::prompts::model::{Prompt, PromptContent, PromptVersion, Tool, VersionNotes, VersionSource};
pub use crate::workspaces::model::Workspace;
pub use page::{Page, PageRequest};
pub use values::{LanguageCode, ReplyDelay, Temperature};
