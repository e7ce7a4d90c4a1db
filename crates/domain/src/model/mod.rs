//! The domain model. Plain data and the rules that need no I/O.

pub mod agent;
pub mod agent_text;
pub mod analysis;
pub mod api_key;
pub mod cache;
pub mod console_session;
pub mod conversation;
pub mod deadline;
pub mod event;
pub mod formatting;
pub mod ids;
pub use ids::{AgentId, ConversationId, EventId, MessageId, PolicyId, PromptId, ToolId, WorkspaceId};
pub mod inbound;
pub mod input;
pub mod media;
pub mod number;
pub mod outbound_url;
pub mod page;
pub mod phone;
pub mod policy;
pub mod prompt;
pub mod signing;
pub mod template;
pub mod timestamp;
pub mod tool;
pub mod tool_call;
pub mod usage;
pub mod values;
pub mod workspace;

pub use agent::{Agent, FollowUpPolicy, ModelSettings, Provider};
pub use api_key::{ApiKey, IssuedKey, Principal, Role};
pub use conversation::{
    Amendment, Channel, ChannelKind, Contact, Conversation, DeliveryStatus, Direction, ErrorReason, Message,
    MessageError, MessageKind, PromptUsed, TokenUsage,
};
pub use media::MediaRef;
pub use number::WhatsAppNumber;
pub use page::{Page, PageRequest};
pub use prompt::{Prompt, PromptContent, PromptVersion, Tool, VersionNotes, VersionSource};
pub use template::{Card, TemplateMessage, TemplateVariables};
pub use values::{LanguageCode, ReplyDelay, Temperature};
pub use workspace::Workspace;
