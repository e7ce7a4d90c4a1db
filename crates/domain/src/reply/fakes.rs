//! One small fake of every port a reply touches, for the stages' unit tests. It records what a
//! stage wrote and sent, answers what a test gave it, and refuses whatever else is asked of it
//! (`not faked`): a stage that reaches for a port its test did not expect fails there.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::analysis::AnalysisPorts;
use crate::cached::CachedPolicies;
use crate::conversations::ConversationPorts;
use crate::events::model::{Delivery, Event};
use crate::events::EventPorts;
use crate::knowledge::model::{Chunk, Document, Hit, KnowledgeBase, Snapshot};
use crate::media::MediaPorts;
use crate::model::{
    Agent, AgentId, Amendment, ApiKey, Conversation, ConversationId, DeliveryStatus, EventId, Message, MessageError,
    MessageId, Page, PageRequest, PolicyId, Prompt, PromptId, PromptVersion, ToolId, WhatsAppNumber, Workspace,
    WorkspaceId,
};
use crate::model::{DocumentId, KnowledgeBaseId};
use crate::numbers::senders::SenderPorts;
use crate::policies::model::{Policy, Violation};
use crate::policies::PolicyPorts;
use crate::ports::*;
use crate::tools::call::ToolCallStatus;
use crate::tools::model::ToolDef;
use crate::usage::model::{UsageDelta, UsageRow};

use super::ReplyPorts;

fn not_faked(what: &str) -> StoreError {
    StoreError::Unavailable(format!("{what} is not faked"))
}

/// What the stages under test wrote, sent and were answered.
#[derive(Default)]
pub(super) struct Recorded {
    /// `save_conversation` and `save_reply`: the conversation and the messages written with it.
    pub saved: Vec<(Conversation, Vec<Message>)>,
    /// The token counters `save_reply` added to.
    pub usage: Vec<UsageDelta>,
    /// `record_delivery`.
    pub deliveries: Vec<Message>,
    /// `mark_reply_failed`.
    pub failures_marked: Vec<ConversationId>,
    /// What went to WhatsApp, in order.
    pub sent: Vec<Outbound>,
    /// Answers to the next sends; an empty queue answers `wamid.<n>`.
    pub send_answers: VecDeque<Result<String, GraphError>>,
    /// The next conditional write of the conversation loses to another change.
    pub conflict_next_save: bool,
    /// What the operators' metrics were told.
    pub measurements: Vec<crate::metrics::Measurement>,
}

pub(super) struct World {
    pub now: OffsetDateTime,
    pub numbers: Vec<WhatsAppNumber>,
    /// What `get_conversation` finds.
    pub conversations: Vec<Conversation>,
    pub recorded: Mutex<Recorded>,
}

impl World {
    /// A world at `now` holding these numbers and conversations, with nothing recorded yet.
    pub fn holding(now: OffsetDateTime, numbers: Vec<WhatsAppNumber>, conversations: Vec<Conversation>) -> Arc<Self> {
        Arc::new(Self { now, numbers, conversations, recorded: Mutex::new(Recorded::default()) })
    }

    pub fn new(now: OffsetDateTime) -> Arc<Self> {
        Self::holding(now, Vec::new(), Vec::new())
    }

    pub fn with_number(now: OffsetDateTime, number: WhatsAppNumber) -> Arc<Self> {
        Self::holding(now, vec![number], Vec::new())
    }

    pub fn with_conversation(now: OffsetDateTime, conversation: Conversation) -> Arc<Self> {
        Self::holding(now, Vec::new(), vec![conversation])
    }

    pub fn recorded(&self) -> std::sync::MutexGuard<'_, Recorded> {
        self.recorded.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The policy cache a `ReplyPorts` borrows: no policies.
    pub fn policies(self: &Arc<Self>) -> CachedPolicies {
        CachedPolicies::over(self.clone())
    }

    pub fn ports<'a>(&'a self, policies: &'a CachedPolicies, token: &'a Secret) -> ReplyPorts<'a> {
        let events = EventPorts { workspaces: self, events: self, queue: self, clock: self };
        let senders = SenderPorts { numbers: self, vault: self, default_token: Some(token) };
        let policies = PolicyPorts { policies, events };
        ReplyPorts {
            conversations: self,
            agents: self,
            prompts: self,
            tools: self,
            tool_calls: self,
            usage: self,
            workspaces: self,
            llm: self,
            whatsapp: self,
            tool_http: self,
            bucket: self,
            clock: self,
            media: MediaPorts {
                conversations: self,
                whatsapp: self,
                senders,
                bucket: self,
                transcriber: self,
                reader: self,
                policies,
                clock: self,
                metrics: self,
            },
            policies,
            senders,
            events,
            analysis: AnalysisPorts {
                conversations: self,
                agents: self,
                prompts: self,
                queue: self,
                llm: self,
                events,
                clock: self,
                metrics: self,
            },
            metrics: self,
            knowledge_bases: &NoKnowledge,
            knowledge: &NoKnowledge,
            embedder: None,
            sandbox: false,
            conversation: ConversationPorts {
                conversations: self,
                agents: self,
                numbers: self,
                queue: self,
                whatsapp: self,
                senders,
                events,
                clock: self,
            },
        }
    }

    fn save(&self, conversation: &Conversation, messages: &[Message]) -> Result<(), StoreError> {
        let mut recorded = self.recorded();
        if std::mem::take(&mut recorded.conflict_next_save) {
            return Err(StoreError::Conflict("the conversation changed".into()));
        }
        recorded.saved.push((conversation.clone(), messages.to_vec()));
        Ok(())
    }
}

impl Clock for World {
    fn now(&self) -> OffsetDateTime {
        self.now
    }
}

#[async_trait]
impl ConversationStore for World {
    async fn get_conversation(
        &self,
        ws: &WorkspaceId,
        id: &ConversationId,
    ) -> Result<Option<Conversation>, StoreError> {
        Ok(self.conversations.iter().find(|c| c.workspace_id == *ws && c.id == *id).cloned())
    }
    async fn load_conversation(
        &self,
        _: &WorkspaceId,
        _: &ConversationId,
        _: u32,
    ) -> Result<Option<(Conversation, Vec<Message>)>, StoreError> {
        Err(not_faked("load_conversation"))
    }
    async fn find_conversation(&self, _: &WorkspaceId, _: &str, _: &str) -> Result<Option<Conversation>, StoreError> {
        Err(not_faked("find_conversation"))
    }
    async fn save_conversation(
        &self,
        conversation: &Conversation,
        _: Option<u64>,
        messages: &[Message],
    ) -> Result<(), StoreError> {
        self.save(conversation, messages)
    }
    async fn save_inbound(&self, _: &Conversation, _: Option<u64>, _: &Message) -> Result<(), StoreError> {
        Err(not_faked("save_inbound"))
    }
    async fn inbound_seen(&self, _: &str) -> Result<bool, StoreError> {
        Err(not_faked("inbound_seen"))
    }
    async fn record_inbound(&self, _: &ConversationRef, _: &InboundUpdate, _: &Message) -> Result<(), StoreError> {
        Err(not_faked("record_inbound"))
    }
    async fn find_inbound(&self, _: &str) -> Result<Option<MessageRef>, StoreError> {
        Err(not_faked("find_inbound"))
    }
    async fn amend_message(&self, _: &MessageRef, _: &Amendment) -> Result<bool, StoreError> {
        Err(not_faked("amend_message"))
    }
    async fn record_delivery(&self, _: &WorkspaceId, message: &Message) -> Result<(), StoreError> {
        self.recorded().deliveries.push(message.clone());
        Ok(())
    }
    async fn find_outbound(&self, _: &str) -> Result<Option<OutboundRef>, StoreError> {
        Err(not_faked("find_outbound"))
    }
    async fn advance_status(
        &self,
        _: &ConversationId,
        _: &MessageId,
        _: DeliveryStatus,
        _: Option<&MessageError>,
    ) -> Result<bool, StoreError> {
        Err(not_faked("advance_status"))
    }
    async fn list_conversations(&self, _: &WorkspaceId, _: &PageRequest) -> Result<Page<Conversation>, StoreError> {
        Err(not_faked("list_conversations"))
    }
    async fn mark_reply_failed(
        &self,
        _: &WorkspaceId,
        id: &ConversationId,
        _: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.recorded().failures_marked.push(id.clone());
        Ok(())
    }
    async fn recent_conversations(&self, _: &WorkspaceId, _: u32) -> Result<Vec<Conversation>, StoreError> {
        Err(not_faked("recent_conversations"))
    }
    async fn latest_activity(&self, _: &WorkspaceId) -> Result<Option<String>, StoreError> {
        Err(not_faked("latest_activity"))
    }
    async fn save_reply(
        &self,
        conversation: &Conversation,
        _: u64,
        message: &Message,
        usage: &UsageDelta,
    ) -> Result<(), StoreError> {
        self.save(conversation, std::slice::from_ref(message))?;
        self.recorded().usage.push(usage.clone());
        Ok(())
    }
    async fn save_analysis(&self, _: &Conversation, _: u64, _: &UsageDelta) -> Result<(), StoreError> {
        Err(not_faked("save_analysis"))
    }
    async fn list_messages(&self, _: &ConversationId, _: &PageRequest) -> Result<Page<Message>, StoreError> {
        Err(not_faked("list_messages"))
    }
    async fn save_media(&self, _: &MediaUpdate) -> Result<(), StoreError> {
        Err(not_faked("save_media"))
    }
    async fn get_message(&self, _: &ConversationId, _: &MessageId) -> Result<Option<Message>, StoreError> {
        Err(not_faked("get_message"))
    }
}

#[async_trait]
impl NumberStore for World {
    async fn register_number(&self, _: &WhatsAppNumber) -> Result<(), StoreError> {
        Err(not_faked("register_number"))
    }
    async fn get_number(&self, phone_number_id: &str) -> Result<Option<WhatsAppNumber>, StoreError> {
        Ok(self.numbers.iter().find(|number| number.phone_number_id == phone_number_id).cloned())
    }
    async fn list_numbers(&self, _: &WorkspaceId, _: &PageRequest) -> Result<Page<WhatsAppNumber>, StoreError> {
        Err(not_faked("list_numbers"))
    }
    async fn remove_number(&self, _: &WorkspaceId, _: &str) -> Result<bool, StoreError> {
        Err(not_faked("remove_number"))
    }
}

#[async_trait]
impl WhatsApp for World {
    async fn send(&self, _: &Sender, message: &Outbound) -> Result<String, GraphError> {
        let mut recorded = self.recorded();
        let answer = recorded.send_answers.pop_front().unwrap_or_else(|| Ok(format!("wamid.{}", recorded.sent.len())));
        if answer.is_ok() {
            recorded.sent.push(message.clone());
        }
        answer
    }
    async fn mark_read(&self, _: &Sender, _: &str) -> Result<(), GraphError> {
        Ok(())
    }
    async fn number_info(&self, _: &str, _: &Secret) -> Result<NumberInfo, GraphError> {
        Err(GraphError::Network("number_info is not faked".into()))
    }
}

/// No workspace has a webhook: events are not recorded or queued.
#[async_trait]
impl WorkspaceStore for World {
    async fn create_workspace(&self, _: &Workspace, _: &ApiKey, _: &str) -> Result<(), StoreError> {
        Err(not_faked("create_workspace"))
    }
    async fn get_workspace(&self, _: &WorkspaceId) -> Result<Option<Workspace>, StoreError> {
        Ok(None)
    }
    async fn save_workspace(&self, _: &Workspace, _: u64) -> Result<(), StoreError> {
        Err(not_faked("save_workspace"))
    }
}

#[async_trait]
impl EventStore for World {
    async fn save_event(&self, _: &Event) -> Result<(), StoreError> {
        Err(not_faked("save_event"))
    }
    async fn get_event(&self, _: &WorkspaceId, _: &EventId) -> Result<Option<Event>, StoreError> {
        Err(not_faked("get_event"))
    }
    async fn list_events(&self, _: &WorkspaceId, _: &PageRequest) -> Result<Page<Event>, StoreError> {
        Err(not_faked("list_events"))
    }
    async fn save_delivery(&self, _: &WorkspaceId, _: &EventId, _: &Delivery) -> Result<(), StoreError> {
        Err(not_faked("save_delivery"))
    }
}

#[async_trait]
impl PolicyStore for World {
    async fn put_policy(&self, _: &Policy, _: Option<u64>) -> Result<(), StoreError> {
        Err(not_faked("put_policy"))
    }
    async fn get_policy(&self, _: &WorkspaceId, _: &PolicyId) -> Result<Option<Policy>, StoreError> {
        Err(not_faked("get_policy"))
    }
    async fn list_policies(&self, _: &WorkspaceId, _: &PageRequest) -> Result<Page<Policy>, StoreError> {
        Ok(Page { items: Vec::new(), next_cursor: None })
    }
    async fn delete_policy(&self, _: &WorkspaceId, _: &PolicyId) -> Result<bool, StoreError> {
        Err(not_faked("delete_policy"))
    }
    async fn record_violations(&self, _: &[Violation]) -> Result<(), StoreError> {
        Err(not_faked("record_violations"))
    }
    async fn list_violations(&self, _: &WorkspaceId, _: &PageRequest) -> Result<Page<Violation>, StoreError> {
        Err(not_faked("list_violations"))
    }
}

#[async_trait]
impl AgentStore for World {
    async fn put_agent(&self, _: &Agent, _: Option<u64>) -> Result<(), StoreError> {
        Err(not_faked("put_agent"))
    }
    async fn get_agent(&self, _: &WorkspaceId, _: &AgentId) -> Result<Option<Agent>, StoreError> {
        Err(not_faked("get_agent"))
    }
    async fn list_agents(&self, _: &WorkspaceId, _: &PageRequest) -> Result<Page<Agent>, StoreError> {
        Err(not_faked("list_agents"))
    }
    async fn delete_agent(&self, _: &WorkspaceId, _: &AgentId) -> Result<bool, StoreError> {
        Err(not_faked("delete_agent"))
    }
}

#[async_trait]
impl PromptStore for World {
    async fn save_prompt(&self, _: PromptWrite<'_>) -> Result<(), StoreError> {
        Err(not_faked("save_prompt"))
    }
    async fn get_prompt(&self, _: &WorkspaceId, _: &PromptId) -> Result<Option<Prompt>, StoreError> {
        Err(not_faked("get_prompt"))
    }
    async fn find_prompt_by_name(&self, _: &WorkspaceId, _: &str) -> Result<Option<Prompt>, StoreError> {
        Err(not_faked("find_prompt_by_name"))
    }
    async fn list_prompts(
        &self,
        _: &WorkspaceId,
        _: &PromptFilter<'_>,
        _: &PageRequest,
    ) -> Result<Page<Prompt>, StoreError> {
        Err(not_faked("list_prompts"))
    }
    async fn get_prompt_version(&self, _: &PromptId, _: u32) -> Result<Option<PromptVersion>, StoreError> {
        Err(not_faked("get_prompt_version"))
    }
    async fn list_prompt_versions(&self, _: &PromptId, _: &PageRequest) -> Result<Page<PromptVersion>, StoreError> {
        Err(not_faked("list_prompt_versions"))
    }
}

#[async_trait]
impl ToolStore for World {
    async fn create_tool(&self, _: &ToolDef) -> Result<(), StoreError> {
        Err(not_faked("create_tool"))
    }
    async fn replace_tool(&self, _: &ToolDef, _: &str, _: u64) -> Result<(), StoreError> {
        Err(not_faked("replace_tool"))
    }
    async fn get_tool(&self, _: &WorkspaceId, _: &ToolId) -> Result<Option<ToolDef>, StoreError> {
        Err(not_faked("get_tool"))
    }
    async fn find_tool_by_name(&self, _: &WorkspaceId, _: &str) -> Result<Option<ToolDef>, StoreError> {
        Err(not_faked("find_tool_by_name"))
    }
    async fn list_tools(&self, _: &WorkspaceId, _: &PageRequest) -> Result<Page<ToolDef>, StoreError> {
        Err(not_faked("list_tools"))
    }
    async fn delete_tool(&self, _: &ToolDef) -> Result<bool, StoreError> {
        Err(not_faked("delete_tool"))
    }
}

#[async_trait]
impl ToolCallStore for World {
    async fn save_tool_calls(
        &self,
        _: &Conversation,
        _: u64,
        _: &[Message],
        _: &[DueApproval],
        _: &UsageDelta,
    ) -> Result<(), StoreError> {
        Err(not_faked("save_tool_calls"))
    }
    async fn update_tool_call(&self, _: &Message, _: ToolCallStatus) -> Result<(), StoreError> {
        Err(not_faked("update_tool_call"))
    }
    async fn awaiting_approval(&self, _: &WorkspaceId, _: u32) -> Result<Vec<DueApproval>, StoreError> {
        Err(not_faked("awaiting_approval"))
    }
    async fn end_approval_watch(&self, _: &WorkspaceId, _: &ConversationId, _: &MessageId) -> Result<(), StoreError> {
        Err(not_faked("end_approval_watch"))
    }
}

#[async_trait]
impl UsageStore for World {
    async fn usage(&self, _: &WorkspaceId, _: &str, _: &str, _: bool) -> Result<Vec<UsageRow>, StoreError> {
        Err(not_faked("usage"))
    }
    async fn add_usage(&self, _: &crate::usage::model::UsageDelta) -> Result<(), StoreError> {
        Err(not_faked("add_usage"))
    }
}

#[async_trait]
impl TriggerQueue for World {
    async fn enqueue(&self, _: &Trigger) -> Result<(), QueueError> {
        Err(QueueError("enqueue is not faked".into()))
    }
    async fn enqueue_as(&self, _: &Trigger, _: &str) -> Result<(), QueueError> {
        Err(QueueError("enqueue_as is not faked".into()))
    }
    async fn retry_later(&self, _: &str, _: Duration) -> Result<(), QueueError> {
        Err(QueueError("retry_later is not faked".into()))
    }
}

#[async_trait]
impl Llm for World {
    async fn complete(&self, _: &ChatRequest) -> Result<ChatReply, LlmError> {
        Err(LlmError::Network("complete is not faked".into()))
    }
}

#[async_trait]
impl EventDelivery for World {
    async fn post(&self, _: &str, _: &[(&str, String)], _: String) -> Result<u16, DeliveryError> {
        Err(DeliveryError::Failed("post is not faked".into()))
    }
    async fn call_tool(
        &self,
        _: &str,
        _: &[(&str, String)],
        _: String,
        _: Duration,
    ) -> Result<(u16, String), DeliveryError> {
        Err(DeliveryError::Failed("call_tool is not faked".into()))
    }
}

#[async_trait]
impl MediaStore for World {
    async fn put(&self, _: &str, _: Vec<u8>, _: &str) -> Result<(), MediaStoreError> {
        Err(MediaStoreError("put is not faked".into()))
    }
    async fn get(&self, _: &str) -> Result<Vec<u8>, MediaStoreError> {
        Err(MediaStoreError("get is not faked".into()))
    }
    async fn presign(&self, _: &str, _: Duration) -> Result<String, MediaStoreError> {
        Err(MediaStoreError("presign is not faked".into()))
    }
    async fn presign_upload(&self, _: &str, _: &str, _: u64, _: Duration) -> Result<String, MediaStoreError> {
        Err(MediaStoreError("presign_upload is not faked".into()))
    }
    async fn delete_under(&self, _: &str) -> Result<u32, MediaStoreError> {
        Err(MediaStoreError("delete_under is not faked".into()))
    }
}

#[async_trait]
impl Transcriber for World {
    async fn transcribe(&self, _: AudioClip<'_>) -> Result<Transcript, LlmError> {
        Err(LlmError::Network("transcribe is not faked".into()))
    }
}

#[async_trait]
impl FileReader for World {
    async fn pdf_text(&self, _: Vec<u8>) -> Result<String, Unreadable> {
        Err(Unreadable("pdf_text is not faked".into()))
    }
    async fn pdf_pages(&self, _: Vec<u8>) -> Result<Vec<String>, Unreadable> {
        Err(Unreadable("pdf_pages is not faked".into()))
    }
    async fn html_text(&self, _: Vec<u8>) -> Result<String, Unreadable> {
        Err(Unreadable("html_text is not faked".into()))
    }
    async fn image_as_jpeg(&self, _: Vec<u8>, _: u32) -> Result<Vec<u8>, Unreadable> {
        Err(Unreadable("image_as_jpeg is not faked".into()))
    }
}

#[async_trait]
impl TokenVault for World {
    async fn store_token(&self, _: &WorkspaceId, _: &str, _: &Secret) -> Result<String, VaultError> {
        Err(VaultError("store_token is not faked".into()))
    }
    async fn token(&self, _: &str) -> Result<Secret, VaultError> {
        Err(VaultError("token is not faked".into()))
    }
    async fn delete_token(&self, _: &str) -> Result<(), VaultError> {
        Err(VaultError("delete_token is not faked".into()))
    }
}

impl crate::metrics::Metrics for World {
    fn record(&self, measurement: crate::metrics::Measurement) {
        self.recorded().measurements.push(measurement);
    }
}

/// No knowledge bases: the reply tests' agents name none.
pub(super) struct NoKnowledge;

#[async_trait]
impl KnowledgeStore for NoKnowledge {
    async fn put_knowledge_base(&self, _: &KnowledgeBase, _: Option<u64>) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("no knowledge bases here".into()))
    }
    async fn get_knowledge_base(
        &self,
        _: &WorkspaceId,
        _: &KnowledgeBaseId,
    ) -> Result<Option<KnowledgeBase>, StoreError> {
        Ok(None)
    }
    async fn list_knowledge_bases(&self, _: &WorkspaceId, _: &PageRequest) -> Result<Page<KnowledgeBase>, StoreError> {
        Ok(Page { items: Vec::new(), next_cursor: None })
    }
    async fn delete_knowledge_base(&self, _: &WorkspaceId, _: &KnowledgeBaseId) -> Result<bool, StoreError> {
        Ok(false)
    }
    async fn move_snapshot(&self, _: &KnowledgeBase, _: &Snapshot, _: Option<&str>) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("no knowledge bases here".into()))
    }
    async fn put_document(&self, _: &Document, _: Option<u64>) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("no knowledge bases here".into()))
    }
    async fn get_document(
        &self,
        _: &WorkspaceId,
        _: &KnowledgeBaseId,
        _: &DocumentId,
    ) -> Result<Option<Document>, StoreError> {
        Ok(None)
    }
    async fn list_documents(
        &self,
        _: &WorkspaceId,
        _: &KnowledgeBaseId,
        _: &PageRequest,
    ) -> Result<Page<Document>, StoreError> {
        Ok(Page { items: Vec::new(), next_cursor: None })
    }
    async fn all_documents(&self, _: &WorkspaceId, _: &KnowledgeBaseId) -> Result<Vec<Document>, StoreError> {
        Ok(Vec::new())
    }
    async fn delete_document(&self, _: &Document) -> Result<bool, StoreError> {
        Ok(false)
    }
}

#[async_trait]
impl KnowledgeIndex for NoKnowledge {
    async fn build(&self, _: &KnowledgeBase, _: Vec<Chunk>) -> Result<(String, u64), IndexError> {
        Err(IndexError("no knowledge bases here".into()))
    }
    async fn search(
        &self,
        _: &KnowledgeBase,
        _: &Snapshot,
        _: &KnowledgeQuery,
        _: usize,
    ) -> Result<Vec<Hit>, IndexError> {
        Ok(Vec::new())
    }
    async fn retire(&self, _: &KnowledgeBase, _: &Snapshot) -> Result<(), IndexError> {
        Ok(())
    }
}
