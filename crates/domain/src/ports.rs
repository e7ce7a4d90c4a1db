//! The ports: what the use cases need from the outside world, as traits. The adapters crate
//! implements them on DynamoDB, SQS, S3, the Graph API and the system clock.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

mod due_work;
mod media;
mod trigger;

pub use due_work::{Due, DueAnalysis, DueApproval, DueFollowUp, DueKind, DueWork};
pub use media::{
    AudioClip, DownloadError, FileReader, ImageInput, MediaInfo, MediaStore, MediaStoreError, Transcriber, Transcript,
    Unreadable,
};
pub use trigger::{AnalysisTrigger, EventTrigger, FollowUpTrigger, Trigger, Turn};

use crate::model::console_session::ConsoleSession;
use crate::model::event::Event;
use crate::model::policy::{Policy, Violation};
use crate::model::tool::ToolDef;
use crate::model::usage::{UsageDelta, UsageRow};
use crate::model::{
    Agent, AgentId, Amendment, ApiKey, Conversation, ConversationId, DeliveryStatus, EventId, Message, MessageError,
    MessageId, Page, PageRequest, PolicyId, Prompt, PromptId, PromptVersion, TemplateMessage, ToolId, WhatsAppNumber,
    Workspace, WorkspaceId,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A conditional write lost: the thing already exists or changed underneath.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The store could not be reached or refused the request.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// An item did not have the shape this code expects.
    #[error("stored item is malformed: {0}")]
    Corrupt(String),
    /// A pagination cursor that this store did not issue.
    #[error("cursor is not valid")]
    BadCursor,
}

#[async_trait]
pub trait WorkspaceStore: Send + Sync {
    /// Creates the workspace and its first key in one atomic write.
    async fn create_workspace(
        &self,
        workspace: &Workspace,
        first_key: &ApiKey,
        key_hash: &str,
    ) -> Result<(), StoreError>;
    async fn get_workspace(&self, id: &WorkspaceId) -> Result<Option<Workspace>, StoreError>;
    /// Replaces the workspace's settings (quota, webhook).
    /// Stores `workspace` over revision `expected` (its `revision` is `expected + 1`); `Conflict`
    /// when another write came first.
    async fn save_workspace(&self, workspace: &Workspace, expected: u64) -> Result<(), StoreError>;
}

#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    async fn find_key_by_hash(&self, hash: &str) -> Result<Option<ApiKey>, StoreError>;
    /// Fails with `Conflict` when the workspace already has a key with this prefix.
    async fn insert_key(&self, key: &ApiKey, hash: &str) -> Result<(), StoreError>;
    async fn list_keys(&self, workspace_id: &WorkspaceId, page: &PageRequest) -> Result<Page<ApiKey>, StoreError>;
    /// Deletes the key; `false` when the workspace has no key with this prefix.
    async fn delete_key(&self, workspace_id: &WorkspaceId, prefix: &str) -> Result<bool, StoreError>;
}

#[async_trait]
pub trait EventStore: Send + Sync {
    async fn save_event(&self, event: &Event) -> Result<(), StoreError>;
    async fn get_event(&self, workspace_id: &WorkspaceId, event_id: &EventId) -> Result<Option<Event>, StoreError>;
}

/// A workspace's webhook answers within this, or the delivery is retried.
pub const EVENT_DELIVERY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// POSTs a signed event to a workspace's webhook.
#[async_trait]
pub trait EventDelivery: Send + Sync {
    /// The receiver's HTTP status, or why there was none.
    async fn post(&self, url: &str, headers: &[(&str, String)], body: String) -> Result<u16, String>;
    /// POSTs a tool call to a workspace's tool: the status and (the start of) the body, or why
    /// there was none (a time-out says so).
    async fn call_tool(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: String,
        timeout: std::time::Duration,
    ) -> Result<(u16, String), String>;
}

#[async_trait]
pub trait PolicyStore: Send + Sync {
    /// Creates (`expected_existing = false`) or replaces an existing policy.
    /// A new policy (`expected: None`), or a change over revision `expected`; `Conflict` when the
    /// policy exists (new) or another write came first (change).
    async fn put_policy(&self, policy: &Policy, expected: Option<u64>) -> Result<(), StoreError>;
    async fn get_policy(&self, workspace_id: &WorkspaceId, policy_id: &PolicyId) -> Result<Option<Policy>, StoreError>;
    async fn list_policies(&self, workspace_id: &WorkspaceId, page: &PageRequest) -> Result<Page<Policy>, StoreError>;
    async fn delete_policy(&self, workspace_id: &WorkspaceId, policy_id: &PolicyId) -> Result<bool, StoreError>;
    async fn record_violations(&self, violations: &[Violation]) -> Result<(), StoreError>;
    /// Newest first.
    async fn list_violations(
        &self,
        workspace_id: &WorkspaceId,
        page: &PageRequest,
    ) -> Result<Page<Violation>, StoreError>;
}

#[async_trait]
pub trait ToolStore: Send + Sync {
    /// Creates a tool; `Conflict` when the workspace has a tool of that name.
    async fn create_tool(&self, tool: &ToolDef) -> Result<(), StoreError>;
    /// Replaces an existing tool (renamed from `previous_name`) if it is still at revision
    /// `expected`; `Conflict` when the new name is taken, the tool is gone or it changed.
    async fn replace_tool(&self, tool: &ToolDef, previous_name: &str, expected: u64) -> Result<(), StoreError>;
    async fn get_tool(&self, workspace_id: &WorkspaceId, tool_id: &ToolId) -> Result<Option<ToolDef>, StoreError>;
    async fn find_tool_by_name(&self, workspace_id: &WorkspaceId, name: &str) -> Result<Option<ToolDef>, StoreError>;
    /// Oldest first.
    async fn list_tools(&self, workspace_id: &WorkspaceId, page: &PageRequest) -> Result<Page<ToolDef>, StoreError>;
    /// `false` when there was no such tool.
    async fn delete_tool(&self, tool: &ToolDef) -> Result<bool, StoreError>;
}

/// Console sign-ins, by the hash of their secret; the table forgets them after they expire.
#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn create_session(&self, session: &ConsoleSession) -> Result<(), StoreError>;
    async fn get_session(&self, secret_hash: &str) -> Result<Option<ConsoleSession>, StoreError>;
    async fn delete_session(&self, secret_hash: &str) -> Result<(), StoreError>;
}

/// The token counters replies and analyses add to (in the same write as the conversation).
#[async_trait]
pub trait UsageStore: Send + Sync {
    /// Daily counters from `from` to `to` (inclusive, `yyyy-mm-dd`); per agent when `by_agent`.
    async fn usage(
        &self,
        workspace_id: &WorkspaceId,
        from: &str,
        to: &str,
        by_agent: bool,
    ) -> Result<Vec<UsageRow>, StoreError>;
}

/// Everything the use cases keep in the table.
pub trait Store:
    WorkspaceStore
    + ApiKeyStore
    + PromptStore
    + NumberStore
    + AgentStore
    + ConversationStore
    + PolicyStore
    + EventStore
    + ToolStore
    + ToolCallStore
    + DueWork
    + SessionStore
    + UsageStore
{
}
impl<
        T: WorkspaceStore
            + ApiKeyStore
            + PromptStore
            + NumberStore
            + AgentStore
            + ConversationStore
            + PolicyStore
            + ToolStore
            + ToolCallStore
            + DueWork
            + EventStore
            + SessionStore
            + UsageStore,
    > Store for T
{
}

#[derive(Debug, thiserror::Error)]
#[error("queue unavailable: {0}")]
pub struct QueueError(pub String);

#[async_trait]
pub trait TriggerQueue: Send + Sync {
    /// Enqueues in the trigger's conversation group, so one conversation is handled in order and
    /// never twice at once.
    async fn enqueue(&self, trigger: &Trigger) -> Result<(), QueueError>;
    /// Hides a received trigger for `after` before it is delivered again (backoff on failure).
    async fn retry_later(&self, receipt_handle: &str, after: std::time::Duration) -> Result<(), QueueError>;
}

pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
}

/// One atomic change to a prompt: its new state, maybe a new version, maybe a new name.
pub struct PromptWrite<'a> {
    pub prompt: &'a Prompt,
    /// `None` creates the prompt, whose name must be free; `Some(r)` updates it only if it is
    /// still at revision `r`.
    pub expected_revision: Option<u64>,
    pub version: Option<&'a PromptVersion>,
    /// The name before a rename; the new name must be free.
    pub previous_name: Option<&'a str>,
}

#[async_trait]
pub trait PromptStore: Send + Sync {
    /// All or nothing; `Conflict` when the name is taken, the revision moved, or the version exists.
    async fn save_prompt(&self, write: PromptWrite<'_>) -> Result<(), StoreError>;
    async fn get_prompt(&self, workspace_id: &WorkspaceId, prompt_id: &PromptId) -> Result<Option<Prompt>, StoreError>;
    async fn find_prompt_by_name(&self, workspace_id: &WorkspaceId, name: &str) -> Result<Option<Prompt>, StoreError>;
    /// Oldest first.
    async fn list_prompts(
        &self,
        workspace_id: &WorkspaceId,
        filter: &PromptFilter<'_>,
        page: &PageRequest,
    ) -> Result<Page<Prompt>, StoreError>;
    async fn get_prompt_version(&self, prompt_id: &PromptId, version: u32)
        -> Result<Option<PromptVersion>, StoreError>;
    /// Newest first.
    async fn list_prompt_versions(
        &self,
        prompt_id: &PromptId,
        page: &PageRequest,
    ) -> Result<Page<PromptVersion>, StoreError>;
}

#[async_trait]
pub trait NumberStore: Send + Sync {
    /// `Conflict` when the number is registered already (to this or another workspace).
    async fn register_number(&self, number: &WhatsAppNumber) -> Result<(), StoreError>;
    /// By Meta's id, whichever workspace holds it: what inbound webhooks resolve.
    async fn get_number(&self, phone_number_id: &str) -> Result<Option<WhatsAppNumber>, StoreError>;
    async fn list_numbers(
        &self,
        workspace_id: &WorkspaceId,
        page: &PageRequest,
    ) -> Result<Page<WhatsAppNumber>, StoreError>;
    /// `false` when the workspace has no such number.
    async fn remove_number(&self, workspace_id: &WorkspaceId, phone_number_id: &str) -> Result<bool, StoreError>;
}

#[async_trait]
pub trait AgentStore: Send + Sync {
    /// Creates (`expected_existing = false`) or replaces an existing agent.
    /// A new agent (`expected: None`), or a change over revision `expected`; `Conflict` when the
    /// agent exists (new) or another write came first (change).
    async fn put_agent(&self, agent: &Agent, expected: Option<u64>) -> Result<(), StoreError>;
    async fn get_agent(&self, workspace_id: &WorkspaceId, agent_id: &AgentId) -> Result<Option<Agent>, StoreError>;
    async fn list_agents(&self, workspace_id: &WorkspaceId, page: &PageRequest) -> Result<Page<Agent>, StoreError>;
    async fn delete_agent(&self, workspace_id: &WorkspaceId, agent_id: &AgentId) -> Result<bool, StoreError>;
}

#[async_trait]
pub trait ConversationStore: Send + Sync {
    async fn get_conversation(
        &self,
        workspace_id: &WorkspaceId,
        conversation_id: &ConversationId,
    ) -> Result<Option<Conversation>, StoreError>;
    /// The conversation between a business number and a contact, if there is one.
    /// The conversation and its newest `history` messages (newest first), in one read.
    async fn load_conversation(
        &self,
        workspace_id: &WorkspaceId,
        conversation_id: &ConversationId,
        history: u32,
    ) -> Result<Option<(Conversation, Vec<Message>)>, StoreError>;
    async fn find_conversation(
        &self,
        workspace_id: &WorkspaceId,
        phone_number_id: &str,
        wa_id: &str,
    ) -> Result<Option<Conversation>, StoreError>;
    /// Writes the conversation (new when `expected_revision` is `None`, else only if still at
    /// that revision) and the messages, all or nothing.
    async fn save_conversation(
        &self,
        conversation: &Conversation,
        expected_revision: Option<u64>,
        messages: &[Message],
    ) -> Result<(), StoreError>;
    /// Stores an inbound message, claiming its wamid so that a redelivery stores nothing:
    /// `Conflict` when the wamid was seen or the conversation moved.
    async fn save_inbound(
        &self,
        conversation: &Conversation,
        expected_revision: Option<u64>,
        message: &Message,
    ) -> Result<(), StoreError>;
    async fn inbound_seen(&self, wamid: &str) -> Result<bool, StoreError>;
    /// The common case of an inbound message, in one conditional write and no read: the message
    /// and its wamid claim, and the conversation's inbound fields updated in place. `Conflict` when
    /// the wamid was seen, the conversation is gone, or a newer message was recorded already.
    async fn record_inbound(
        &self,
        conversation: &ConversationRef,
        update: &InboundUpdate,
        message: &Message,
    ) -> Result<(), StoreError>;
    /// The inbound message stored for a wamid.
    async fn find_inbound(&self, wamid: &str) -> Result<Option<MessageRef>, StoreError>;
    /// Records what the contact did to a stored message; `false` when there is no such message.
    async fn amend_message(&self, target: &MessageRef, amendment: &Amendment) -> Result<bool, StoreError>;
    /// Writes a sent (or failed) outbound message and indexes its wamids for status updates.
    async fn record_delivery(&self, workspace_id: &WorkspaceId, message: &Message) -> Result<(), StoreError>;
    async fn find_outbound(&self, wamid: &str) -> Result<Option<OutboundRef>, StoreError>;
    /// Moves a message's status forward (never back); `false` when it was already as far.
    async fn advance_status(
        &self,
        conversation_id: &ConversationId,
        message_id: &MessageId,
        status: DeliveryStatus,
        error: Option<&MessageError>,
    ) -> Result<bool, StoreError>;
    async fn list_conversations(
        &self,
        workspace_id: &WorkspaceId,
        page: &PageRequest,
    ) -> Result<Page<Conversation>, StoreError>;
    /// A reply to the conversation could not be made or delivered: the console's inbox says so
    /// (and its activity moves) until the next reply is written.
    async fn mark_reply_failed(
        &self,
        workspace_id: &WorkspaceId,
        conversation_id: &ConversationId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// The workspace's conversations, newest activity first, at most `limit`.
    async fn recent_conversations(
        &self,
        workspace_id: &WorkspaceId,
        limit: u32,
    ) -> Result<Vec<Conversation>, StoreError>;
    /// A marker of the workspace's newest activity: it changes whenever any conversation does.
    async fn latest_activity(&self, workspace_id: &WorkspaceId) -> Result<Option<String>, StoreError>;
    /// A stored reply with its token usage added, atomically, to the day's counters of the
    /// workspace and of the agent, in the same write as the conversation and the message.
    async fn save_reply(
        &self,
        conversation: &Conversation,
        expected_revision: u64,
        message: &Message,
        usage: &UsageDelta,
    ) -> Result<(), StoreError>;
    /// The conversation (conditional on its revision) and an analysis's tokens, in one write.
    async fn save_analysis(
        &self,
        conversation: &Conversation,
        expected_revision: u64,
        usage: &UsageDelta,
    ) -> Result<(), StoreError>;
    /// Newest first.
    async fn list_messages(
        &self,
        conversation_id: &ConversationId,
        page: &PageRequest,
    ) -> Result<Page<Message>, StoreError>;
    /// What was kept and read of an inbound message's media, a policy's block of what was read,
    /// and the transcription's seconds, in one write — only while the media is still pending
    /// (`Conflict` otherwise).
    async fn save_media(&self, update: &MediaUpdate) -> Result<(), StoreError>;
    async fn get_message(
        &self,
        conversation_id: &ConversationId,
        message_id: &MessageId,
    ) -> Result<Option<Message>, StoreError>;
}

/// A processed attachment, for `save_media`.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaUpdate {
    pub conversation_id: ConversationId,
    pub message_id: MessageId,
    pub media: crate::model::MediaRef,
    pub blocked: Option<MessageError>,
    pub usage: Option<UsageDelta>,
}

#[async_trait]
pub trait ToolCallStore: Send + Sync {
    /// The conversation (conditional on its revision) and the calls of one answer, stored before
    /// any runs, with a watch for each that awaits approval (it expires on time).
    async fn save_tool_calls(
        &self,
        conversation: &Conversation,
        expected_revision: u64,
        calls: &[Message],
        watches: &[DueApproval],
        usage: &UsageDelta,
    ) -> Result<(), StoreError>;
    /// Replaces a call's message if its status is still `expected`; `Conflict` otherwise.
    async fn update_tool_call(
        &self,
        message: &Message,
        expected: crate::model::tool_call::ToolCallStatus,
    ) -> Result<(), StoreError>;
    /// The workspace's calls awaiting a person's decision, as their watches show them; soonest
    /// to expire first. At most `limit`.
    async fn awaiting_approval(&self, workspace_id: &WorkspaceId, limit: u32) -> Result<Vec<DueApproval>, StoreError>;
    /// The call was decided or expired: nothing to watch.
    async fn end_approval_watch(
        &self,
        workspace_id: &WorkspaceId,
        conversation_id: &ConversationId,
        message_id: &MessageId,
    ) -> Result<(), StoreError>;
}

/// A conversation, by its workspace and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationRef {
    pub workspace_id: WorkspaceId,
    pub conversation_id: ConversationId,
}

/// What an inbound message changes on its conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundUpdate {
    /// When the contact sent it (the 24-hour window starts again).
    pub sent_at: OffsetDateTime,
    pub preview: String,
    pub contact_name: Option<String>,
    pub now: OffsetDateTime,
}

/// A stored message, by its conversation and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRef {
    pub conversation_id: ConversationId,
    pub message_id: MessageId,
}

/// Where an outbound message with a given wamid lives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboundRef {
    pub workspace_id: WorkspaceId,
    pub conversation_id: ConversationId,
    pub message_id: MessageId,
}

/// A message for the WhatsApp Graph API.
#[derive(Debug, Clone, PartialEq)]
pub enum Outbound {
    Text { to: String, body: String },
    Template { to: String, template: TemplateMessage },
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GraphError {
    /// Meta answered with its error envelope.
    #[error("WhatsApp error {code}: {message}")]
    Api { http_status: u16, code: i64, message: String },
    #[error("WhatsApp did not answer in time")]
    Timeout,
    #[error("WhatsApp could not be reached: {0}")]
    Network(String),
}

/// Meta's codes where waiting and retrying can help: throughput and rate limits.
const RETRYABLE_CODES: [i64; 3] = [130429, 131056, 80007];

impl GraphError {
    /// Whether the same request may succeed later. 131047 (outside the 24-hour window) and
    /// 131026 (undeliverable) never will.
    pub fn is_retryable(&self) -> bool {
        match self {
            GraphError::Api { http_status, code, .. } => RETRYABLE_CODES.contains(code) || *http_status >= 500,
            GraphError::Timeout | GraphError::Network(_) => true,
        }
    }

    pub fn code(&self) -> Option<i64> {
        match self {
            GraphError::Api { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// A secret value (an access token): never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Who sends: a business number and the access token of the WhatsApp Business Account that
/// holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sender {
    pub phone_number_id: String,
    pub token: Secret,
}

/// An approved message template of a WhatsApp Business Account, as a person picks one.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateSummary {
    pub name: String,
    pub language: String,
    /// The body's text, with its `{{1}}`… placeholders.
    pub body: String,
    /// How many values the body's placeholders take.
    pub variables: usize,
}

/// What Meta says of a phone number id, read with a given token.
#[derive(Debug, Clone, PartialEq)]
pub struct NumberInfo {
    pub display_phone_number: String,
}

#[async_trait]
pub trait WhatsApp: Send + Sync {
    /// Sends and returns the message's wamid.
    async fn send(&self, from: &Sender, message: &Outbound) -> Result<String, GraphError>;
    /// Marks a received message read and shows the typing indicator until the next send.
    async fn mark_read(&self, from: &Sender, wamid: &str) -> Result<(), GraphError>;
    /// `GET /{phone-number-id}` with `token`: answers only for a token of the account that holds
    /// the number, which is how a workspace proves it owns one.
    async fn number_info(&self, phone_number_id: &str, token: &Secret) -> Result<NumberInfo, GraphError>;
    /// `GET /{waba-id}/message_templates` with the number's token: the account's approved
    /// templates (at most 100).
    async fn templates(&self, from: &Sender, waba_id: &str) -> Result<Vec<TemplateSummary>, GraphError> {
        let _ = (from, waba_id);
        Err(GraphError::Network("this WhatsApp client does not list templates".into()))
    }
    /// `GET /{media-id}` with the number's token: where the bytes are, for a few minutes.
    async fn media_info(&self, from: &Sender, media_id: &str) -> Result<MediaInfo, GraphError> {
        let _ = (from, media_id);
        Err(GraphError::Network("this WhatsApp client does not fetch media".into()))
    }
    /// The bytes at a URL `media_info` gave, fetched with the number's token; fails past
    /// `max_bytes` without reading further.
    async fn download_media(&self, from: &Sender, url: &str, max_bytes: u64) -> Result<Vec<u8>, DownloadError> {
        let _ = (from, url, max_bytes);
        Err(DownloadError::Graph(GraphError::Network("this WhatsApp client does not fetch media".into())))
    }
}

#[derive(Debug, thiserror::Error)]
#[error("secret store: {0}")]
pub struct VaultError(pub String);

/// Where tenants' access tokens are kept, encrypted, outside the table.
#[async_trait]
pub trait TokenVault: Send + Sync {
    /// Keeps the token of a workspace's number; returns the reference to store with the number.
    async fn store_token(
        &self,
        workspace_id: &WorkspaceId,
        phone_number_id: &str,
        token: &Secret,
    ) -> Result<String, VaultError>;
    async fn token(&self, reference: &str) -> Result<Secret, VaultError>;
    async fn delete_token(&self, reference: &str) -> Result<(), VaultError>;
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ChatRole {
    #[default]
    User,
    Assistant,
}

/// One turn. An assistant turn may call tools; the user turn after it carries their results.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChatTurn {
    pub role: ChatRole,
    pub content: String,
    /// Images the contact sent, for models that accept them.
    pub images: Vec<ImageInput>,
    pub tool_calls: Vec<ToolCallRequest>,
    pub tool_results: Vec<ToolResult>,
}

impl ChatTurn {
    pub fn text(role: ChatRole, content: impl Into<String>) -> Self {
        Self { role, content: content.into(), ..Self::default() }
    }
}

/// A tool the model may call.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    /// A JSON Schema object.
    pub parameters: Value,
}

/// A call the model asked for: its id (the provider's), the tool, and the arguments as written
/// (JSON text, not yet checked).
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCallRequest {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

/// What a call gave back, for the model.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolResult {
    pub call_id: String,
    pub content: String,
    pub is_error: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    pub provider: crate::model::Provider,
    pub model: String,
    pub system: String,
    /// Alternating, starting with the user.
    pub turns: Vec<ChatTurn>,
    pub temperature: Option<crate::model::Temperature>,
    pub max_tokens: u32,
    /// Ask for a JSON object (OpenAI-compatible `response_format`; Anthropic has no such mode
    /// and is told so by the prompt).
    pub json: bool,
    /// The tools the model may call; none, none offered.
    pub tools: Vec<ToolSpec>,
}

impl ChatRequest {
    /// What `agent` asks of its model: its provider, model, token limit and temperature (the
    /// agent's, else the prompt's), `system` and the `turns`; no tools and free text until
    /// `offering` and `as_json` say otherwise. Every LLM call is built here.
    pub fn for_agent(
        agent: &crate::model::Agent,
        system: String,
        prompt_temperature: Option<crate::model::Temperature>,
        turns: Vec<ChatTurn>,
    ) -> Self {
        Self {
            provider: agent.model.provider,
            model: agent.model.name.clone(),
            system,
            turns,
            temperature: agent.model.temperature.or(prompt_temperature),
            max_tokens: agent.model.max_tokens,
            json: false,
            tools: Vec::new(),
        }
    }

    pub fn offering(mut self, tools: Vec<ToolSpec>) -> Self {
        self.tools = tools;
        self
    }

    pub fn as_json(mut self, json: bool) -> Self {
        self.json = json;
        self
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChatReply {
    pub text: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub model: String,
    /// Tools the model asked to call (several at once, perhaps) instead of, or beside, a text.
    pub tool_calls: Vec<ToolCallRequest>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LlmError {
    #[error("the LLM did not answer in time")]
    Timeout,
    #[error("the LLM answered {status}: {body}")]
    Status { status: u16, body: String },
    #[error("the LLM could not be reached: {0}")]
    Network(String),
    #[error("the LLM's answer was not understood: {0}")]
    Malformed(String),
    #[error("no {0:?} endpoint is configured")]
    NotConfigured(crate::model::Provider),
}

impl LlmError {
    /// Time-outs, 429 and 5xx may pass; a 4xx or a missing configuration will not.
    pub fn is_retryable(&self) -> bool {
        match self {
            LlmError::Timeout | LlmError::Network(_) => true,
            LlmError::Status { status, .. } => *status == 429 || *status >= 500,
            LlmError::Malformed(_) | LlmError::NotConfigured(_) => false,
        }
    }
}

/// Which prompts a list shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct PromptFilter<'a> {
    /// A case-sensitive substring of the name.
    pub name_contains: Option<&'a str>,
    /// Hidden prompts too.
    pub include_hidden: bool,
}

/// The LLM requests get answers within this.
pub const LLM_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(25);

#[async_trait]
pub trait Llm: Send + Sync {
    async fn complete(&self, request: &ChatRequest) -> Result<ChatReply, LlmError>;
}
