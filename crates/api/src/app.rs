//! What a function builds once per container and hands to its handlers: the table always, and
//! only the other clients its route rows (or the worker) say it needs. Handlers and the worker
//! pick from it the narrow ports (or port bundles) each use case names; no use case sees `App`.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use colloquy_domain::cached::{CachedNumbers, CachedPolicies, CachedVault, CachedWorkspaces};
use colloquy_domain::knowledge::model::{Chunk, Hit, KnowledgeBase, Snapshot};
use colloquy_domain::model::cache::TtlCache;
use colloquy_domain::model::outbound_url::OutboundRules;
use colloquy_domain::model::{ConversationId, WorkspaceId};
use colloquy_domain::ports::{
    AudioClip, ChatReply, ChatRequest, Clock, DeliveryError, DocumentFetcher, Embedder, EventDelivery, Fetched,
    FileReader, GraphError, IndexError, KnowledgeIndex, KnowledgeQuery, Llm, LlmError, MediaStore, MediaStoreError,
    NumberInfo, Outbound, QueueError, Secret, Sender, Store, TokenVault, Transcriber, Transcript, Trigger,
    TriggerQueue, Unreadable, VaultError, WhatsApp,
};

/// The clients a function builds besides the table (which every function has).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    /// The SQS trigger queue (`QUEUE_URL`).
    pub queue: bool,
    /// Sending as a business number: the WhatsApp Graph API and the numbers' token vault.
    pub whatsapp: bool,
    /// The LLM providers.
    pub llm: bool,
    /// HTTPS delivery of outbound events to workspaces' webhooks.
    pub event_delivery: bool,
    /// Meta's app secret and verify token.
    pub webhook_secrets: bool,
    /// The media bucket (`MEDIA_BUCKET`).
    pub media: bool,
}

impl Needs {
    pub const TABLE: Needs = Needs {
        queue: false,
        whatsapp: false,
        llm: false,
        event_delivery: false,
        webhook_secrets: false,
        media: false,
    };
    /// The agent worker: everything but the webhook's secrets.
    pub const WORKER: Needs =
        Needs { queue: true, whatsapp: true, llm: true, event_delivery: true, webhook_secrets: false, media: true };
    /// The follow-up scheduler queues triggers.
    pub const SCHEDULER: Needs = Needs::TABLE.with_queue();

    pub const fn with_queue(mut self) -> Self {
        self.queue = true;
        self
    }

    pub const fn with_whatsapp(mut self) -> Self {
        self.whatsapp = true;
        self
    }

    pub const fn with_llm(mut self) -> Self {
        self.llm = true;
        self
    }

    pub const fn with_media(mut self) -> Self {
        self.media = true;
        self
    }

    pub const fn with_webhook_secrets(mut self) -> Self {
        self.webhook_secrets = true;
        self
    }

    /// Whether the function reads its configuration secrets (`CONFIG_SECRET_ARNS`): the Graph
    /// API's app secret, the LLM keys or Meta's webhook secrets. The others skip that read.
    pub const fn secrets(&self) -> bool {
        self.whatsapp || self.llm || self.webhook_secrets
    }

    pub const fn union(self, other: Needs) -> Self {
        Needs {
            queue: self.queue || other.queue,
            whatsapp: self.whatsapp || other.whatsapp,
            llm: self.llm || other.llm,
            event_delivery: self.event_delivery || other.event_delivery,
            webhook_secrets: self.webhook_secrets || other.webhook_secrets,
            media: self.media || other.media,
        }
    }
}

/// Cheap to clone: every field is shared.
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub queue: Arc<dyn TriggerQueue>,
    pub clock: Arc<dyn Clock>,
    pub whatsapp: Arc<dyn WhatsApp>,
    pub llm: Arc<dyn Llm>,
    /// Voice notes to text (with the LLM).
    pub transcriber: Arc<dyn Transcriber>,
    /// Contacts' media (the media bucket).
    pub media: Arc<dyn MediaStore>,
    /// Parses contacts' documents and images, each in a limited child process.
    pub reader: Arc<dyn FileReader>,
    /// Only the webhook has them.
    pub webhook: Option<Arc<WebhookSecrets>>,
    /// Business numbers, cached over `store` (five minutes).
    pub numbers: Arc<CachedNumbers>,
    /// Policies, compiled once per change, cached over `store` (half a minute).
    pub policies: Arc<CachedPolicies>,
    /// Workspaces, cached over `store` (a minute): their quota and webhook.
    pub workspaces: Arc<CachedWorkspaces>,
    pub events: Arc<dyn EventDelivery>,
    /// Knowledge bases' URL documents, fetched under `outbound`.
    pub fetcher: Arc<dyn DocumentFetcher>,
    /// Knowledge bases' search engine (snapshots in the media bucket).
    pub knowledge: Arc<dyn KnowledgeIndex>,
    /// Knowledge bases' embeddings (`EMBEDDINGS_MODEL` on the LLM's endpoint); words alone without.
    pub embedder: Option<Arc<dyn Embedder>>,
    /// Where tenants' URLs may point.
    pub outbound: OutboundRules,
    /// Numbers' access tokens.
    pub vault: Arc<dyn TokenVault>,
    /// The deployment's own token, for numbers registered without one (single-tenant set-ups).
    pub default_token: Option<Secret>,
    /// Conversation ids by (workspace, business number, contact), per container: a contact's
    /// conversation never changes, so a known contact's message needs no read.
    pub conversation_ids: Arc<TtlCache<(WorkspaceId, String, String), ConversationId>>,
    /// The models agents may use (`ALLOWED_MODELS`); any when `None`.
    pub allowed_models: Option<Arc<[String]>>,
    /// What operators count (CloudWatch's embedded metric format in Lambda).
    pub metrics: Arc<dyn colloquy_domain::metrics::Metrics>,
    /// Requests a minute per key and per workspace (`RATE_LIMIT_PER_KEY`,
    /// `RATE_LIMIT_PER_WORKSPACE`); none unless set (the deployed functions set them).
    pub rate_limits: colloquy_domain::rate_limits::RateLimits,
}

/// Stands in for a client the function was not built with: a use case that reaches for it fails
/// with a message naming what the function's route row is missing.
pub struct NotBuilt(pub &'static str);

impl NotBuilt {
    fn message(&self) -> String {
        format!("this function was built without {}; add it to the route's needs", self.0)
    }
}

#[async_trait]
impl TriggerQueue for NotBuilt {
    async fn enqueue(&self, _trigger: &Trigger) -> Result<(), QueueError> {
        Err(QueueError(self.message()))
    }
    async fn enqueue_as(&self, _trigger: &Trigger, _deduplication_id: &str) -> Result<(), QueueError> {
        Err(QueueError(self.message()))
    }
    async fn retry_later(&self, _receipt_handle: &str, _after: Duration) -> Result<(), QueueError> {
        Err(QueueError(self.message()))
    }
}

#[async_trait]
impl WhatsApp for NotBuilt {
    async fn send(&self, _from: &Sender, _message: &Outbound) -> Result<String, GraphError> {
        Err(GraphError::Network(self.message()))
    }
    async fn mark_read(&self, _from: &Sender, _wamid: &str) -> Result<(), GraphError> {
        Err(GraphError::Network(self.message()))
    }
    async fn number_info(&self, _phone_number_id: &str, _token: &Secret) -> Result<NumberInfo, GraphError> {
        Err(GraphError::Network(self.message()))
    }
}

#[async_trait]
impl Llm for NotBuilt {
    async fn complete(&self, request: &ChatRequest) -> Result<ChatReply, LlmError> {
        Err(LlmError::NotConfigured(request.provider))
    }
}

#[async_trait]
impl MediaStore for NotBuilt {
    async fn put(&self, _key: &str, _bytes: Vec<u8>, _content_type: &str) -> Result<(), MediaStoreError> {
        Err(MediaStoreError(self.message()))
    }
    async fn get(&self, _key: &str) -> Result<Vec<u8>, MediaStoreError> {
        Err(MediaStoreError(self.message()))
    }
    async fn presign(&self, _key: &str, _ttl: Duration) -> Result<String, MediaStoreError> {
        Err(MediaStoreError(self.message()))
    }
    async fn presign_upload(&self, _: &str, _: &str, _: u64, _: Duration) -> Result<String, MediaStoreError> {
        Err(MediaStoreError(self.message()))
    }
    async fn delete_under(&self, _prefix: &str) -> Result<u32, MediaStoreError> {
        Err(MediaStoreError(self.message()))
    }
}

/// A deployment with no transcription endpoint: voice notes are kept and the agent is told it
/// could not hear them.
struct NoTranscription;

#[async_trait]
impl Transcriber for NoTranscription {
    async fn transcribe(&self, _clip: AudioClip<'_>) -> Result<Transcript, LlmError> {
        Err(LlmError::Network("no transcription endpoint is configured (TRANSCRIPTION_API_KEY or LLM_API_KEY)".into()))
    }
}

#[async_trait]
impl TokenVault for NotBuilt {
    async fn store_token(&self, _: &WorkspaceId, _: &str, _: &Secret) -> Result<String, VaultError> {
        Err(VaultError(self.message()))
    }
    async fn token(&self, _reference: &str) -> Result<Secret, VaultError> {
        Err(VaultError(self.message()))
    }
    async fn delete_token(&self, _reference: &str) -> Result<(), VaultError> {
        Err(VaultError(self.message()))
    }
}

#[async_trait]
impl EventDelivery for NotBuilt {
    async fn post(&self, _url: &str, _headers: &[(&str, String)], _body: String) -> Result<u16, DeliveryError> {
        Err(DeliveryError::Failed(self.message()))
    }
    async fn call_tool(
        &self,
        _url: &str,
        _headers: &[(&str, String)],
        _body: String,
        _timeout: std::time::Duration,
    ) -> Result<(u16, String), DeliveryError> {
        Err(DeliveryError::Failed(self.message()))
    }
}

#[async_trait]
impl DocumentFetcher for NotBuilt {
    async fn fetch(&self, _url: &str, _max: usize, _timeout: Duration) -> Result<Fetched, DeliveryError> {
        Err(DeliveryError::Failed(self.message()))
    }
}

#[async_trait]
impl KnowledgeIndex for NotBuilt {
    async fn build(&self, _base: &KnowledgeBase, _chunks: Vec<Chunk>) -> Result<(String, u64), IndexError> {
        Err(IndexError(self.message()))
    }
    async fn search(
        &self,
        _: &KnowledgeBase,
        _: &Snapshot,
        _: &KnowledgeQuery,
        _: usize,
    ) -> Result<Vec<Hit>, IndexError> {
        Err(IndexError(self.message()))
    }
    async fn retire(&self, _base: &KnowledgeBase, _snapshot: &Snapshot) -> Result<(), IndexError> {
        Err(IndexError(self.message()))
    }
}

#[async_trait]
impl FileReader for NotBuilt {
    async fn pdf_text(&self, _bytes: Vec<u8>) -> Result<String, Unreadable> {
        Err(Unreadable(self.message()))
    }
    async fn pdf_pages(&self, _bytes: Vec<u8>) -> Result<Vec<String>, Unreadable> {
        Err(Unreadable(self.message()))
    }
    async fn html_text(&self, _bytes: Vec<u8>) -> Result<String, Unreadable> {
        Err(Unreadable(self.message()))
    }
    async fn image_as_jpeg(&self, _bytes: Vec<u8>, _max_side: u32) -> Result<Vec<u8>, Unreadable> {
        Err(Unreadable(self.message()))
    }
}

/// What Meta's webhook is checked with.
pub struct WebhookSecrets {
    /// Signs every POST (`X-Hub-Signature-256`).
    pub app_secret: String,
    /// Answers the subscription handshake.
    pub verify_token: String,
}

impl App {
    /// An app on the given ports, without an LLM or event delivery: `with_llm` and
    /// `with_event_delivery` add them.
    pub fn new(
        store: Arc<dyn Store>,
        queue: Arc<dyn TriggerQueue>,
        clock: Arc<dyn Clock>,
        whatsapp: Arc<dyn WhatsApp>,
    ) -> Self {
        Self {
            numbers: Arc::new(CachedNumbers::over(store.clone())),
            workspaces: Arc::new(CachedWorkspaces::over(store.clone())),
            policies: Arc::new(CachedPolicies::over(store.clone())),
            store,
            queue,
            clock,
            whatsapp,
            llm: Arc::new(NotBuilt("an LLM")),
            transcriber: Arc::new(NoTranscription),
            media: Arc::new(NotBuilt("the media bucket")),
            reader: Arc::new(NotBuilt("a file reader")),
            webhook: None,
            events: Arc::new(NotBuilt("outbound event delivery")),
            fetcher: Arc::new(NotBuilt("a document fetcher")),
            knowledge: Arc::new(NotBuilt("the knowledge index")),
            embedder: None,
            outbound: OutboundRules::default(),
            vault: Arc::new(NotBuilt("the token vault")),
            default_token: None,
            allowed_models: None,
            rate_limits: colloquy_domain::rate_limits::RateLimits::NONE,
            metrics: Arc::new(colloquy_domain::metrics::NoMetrics),
            conversation_ids: Arc::new(TtlCache::default()),
        }
    }

    /// What knowledge bases and their rebuilds use.
    pub fn knowledge_ports(&self) -> colloquy_domain::knowledge::KnowledgePorts<'_> {
        colloquy_domain::knowledge::KnowledgePorts {
            store: &*self.store,
            files: &*self.media,
            index: &*self.knowledge,
            queue: &*self.queue,
            clock: &*self.clock,
            fetcher: &*self.fetcher,
            reader: &*self.reader,
            embedder: self.embedder.as_deref(),
        }
    }

    /// The ports the agent use cases use.
    pub fn agent_ports(&self) -> colloquy_domain::agents::AgentPorts<'_> {
        colloquy_domain::agents::AgentPorts {
            agents: &*self.store,
            prompts: &*self.store,
            tools: &*self.store,
            knowledge: &*self.store,
            clock: &*self.clock,
            allowed_models: self.allowed_models.as_deref(),
        }
    }

    /// The ports registering and removing a number use.
    pub fn number_ports(&self) -> colloquy_domain::numbers::NumberPorts<'_> {
        colloquy_domain::numbers::NumberPorts {
            numbers: &*self.store,
            agents: &*self.store,
            vault: &*self.vault,
            whatsapp: &*self.whatsapp,
            clock: &*self.clock,
            default_token: self.default_token.as_ref(),
        }
    }

    /// Where events are recorded and queued.
    pub fn event_ports(&self) -> colloquy_domain::events::EventPorts<'_> {
        colloquy_domain::events::EventPorts {
            workspaces: &*self.workspaces,
            events: &*self.store,
            queue: &*self.queue,
            clock: &*self.clock,
        }
    }

    /// Where events are delivered from: the store itself, not the cache (a delivery reads the
    /// webhook as it is now, and counts its failures on it).
    pub fn delivery_ports(&self) -> colloquy_domain::events::DeliveryPorts<'_> {
        colloquy_domain::events::DeliveryPorts {
            events: &*self.store,
            workspaces: &*self.store,
            http: &*self.events,
            clock: &*self.clock,
        }
    }

    /// What evaluating policies uses.
    pub fn policy_ports(&self) -> colloquy_domain::policies::PolicyPorts<'_> {
        colloquy_domain::policies::PolicyPorts { policies: &self.policies, events: self.event_ports() }
    }

    /// Where a conversation's sender is looked up.
    pub fn sender_ports(&self) -> colloquy_domain::numbers::senders::SenderPorts<'_> {
        colloquy_domain::numbers::senders::SenderPorts {
            numbers: &*self.numbers,
            vault: &*self.vault,
            default_token: self.default_token.as_ref(),
        }
    }

    /// The ports starting, changing and adding to a conversation use.
    pub fn conversation_ports(&self) -> colloquy_domain::conversations::ConversationPorts<'_> {
        colloquy_domain::conversations::ConversationPorts {
            conversations: &*self.store,
            agents: &*self.store,
            numbers: &*self.store,
            queue: &*self.queue,
            whatsapp: &*self.whatsapp,
            senders: self.sender_ports(),
            events: self.event_ports(),
            clock: &*self.clock,
        }
    }

    /// What the webhook stores and queues contacts' messages through.
    pub fn inbound_ports(&self) -> colloquy_domain::inbound::InboundPorts<'_> {
        colloquy_domain::inbound::InboundPorts {
            contacts: &*self.store,
            conversations: &*self.store,
            numbers: &*self.numbers,
            agents: &*self.store,
            conversation_ids: &self.conversation_ids,
            queue: &*self.queue,
            policies: self.policy_ports(),
            clock: &*self.clock,
            metrics: &*self.metrics,
        }
    }

    /// What perceiving a contact's media uses.
    pub fn media_ports(&self) -> colloquy_domain::media::MediaPorts<'_> {
        colloquy_domain::media::MediaPorts {
            conversations: &*self.store,
            whatsapp: &*self.whatsapp,
            senders: self.sender_ports(),
            bucket: &*self.media,
            transcriber: &*self.transcriber,
            reader: &*self.reader,
            policies: self.policy_ports(),
            clock: &*self.clock,
            metrics: &*self.metrics,
        }
    }

    /// What requesting and running an analysis uses.
    pub fn analysis_ports(&self) -> colloquy_domain::analysis::AnalysisPorts<'_> {
        colloquy_domain::analysis::AnalysisPorts {
            conversations: &*self.store,
            agents: &*self.store,
            prompts: &*self.store,
            queue: &*self.queue,
            llm: &*self.llm,
            events: self.event_ports(),
            clock: &*self.clock,
            metrics: &*self.metrics,
        }
    }

    /// What answering a conversation uses (the worker's pipeline, and a decided tool call).
    pub fn reply_ports(&self) -> colloquy_domain::reply::ReplyPorts<'_> {
        colloquy_domain::reply::ReplyPorts {
            conversations: &*self.store,
            agents: &*self.store,
            prompts: &*self.store,
            tools: &*self.store,
            tool_calls: &*self.store,
            usage: &*self.store,
            workspaces: &*self.workspaces,
            llm: &*self.llm,
            whatsapp: &*self.whatsapp,
            tool_http: &*self.events,
            bucket: &*self.media,
            clock: &*self.clock,
            media: self.media_ports(),
            policies: self.policy_ports(),
            senders: self.sender_ports(),
            events: self.event_ports(),
            analysis: self.analysis_ports(),
            conversation: self.conversation_ports(),
            metrics: &*self.metrics,
            knowledge_bases: &*self.store,
            knowledge: &*self.knowledge,
            embedder: self.embedder.as_deref(),
            sandbox: false,
        }
    }

    /// What playing a test scenario uses: the live pipeline's ports, which it sandboxes.
    pub fn scenario_ports(&self) -> colloquy_domain::test_suites::scenario::ScenarioPorts<'_> {
        colloquy_domain::test_suites::scenario::ScenarioPorts {
            reply: self.reply_ports(),
            suites: &*self.store,
            queue: &*self.queue,
        }
    }

    /// What starting a test run uses.
    pub fn run_ports(&self) -> colloquy_domain::test_suites::runs::RunPorts<'_> {
        colloquy_domain::test_suites::runs::RunPorts {
            suites: &*self.store,
            agents: &*self.store,
            prompts: &*self.store,
            queue: &*self.queue,
            clock: &*self.clock,
        }
    }

    /// What the scheduler's due work uses: the due entries and their leases, and the queue.
    pub fn due_work_ports(&self) -> colloquy_domain::due_work::DueWorkPorts<'_> {
        colloquy_domain::due_work::DueWorkPorts {
            due: &*self.store,
            queue: &*self.queue,
            analysis: self.analysis_ports(),
        }
    }

    /// Counts what happens, and every Graph API call (the WhatsApp client is wrapped).
    pub fn with_metrics(mut self, metrics: Arc<dyn colloquy_domain::metrics::Metrics>) -> Self {
        self.whatsapp =
            Arc::new(colloquy_domain::metrics::MeteredWhatsApp { inner: self.whatsapp, metrics: metrics.clone() });
        self.metrics = metrics;
        self
    }

    pub fn with_llm(mut self, llm: Arc<dyn Llm>) -> Self {
        self.llm = llm;
        self
    }

    pub fn with_media(mut self, media: Arc<dyn MediaStore>, transcriber: Arc<dyn Transcriber>) -> Self {
        self.media = media;
        self.transcriber = transcriber;
        self
    }

    /// What parses contacts' documents and images (the composition root gives the isolated one).
    pub fn with_reader(mut self, reader: Arc<dyn FileReader>) -> Self {
        self.reader = reader;
        self
    }

    pub fn with_event_delivery(mut self, events: Arc<dyn EventDelivery>) -> Self {
        self.events = events;
        self
    }

    /// Knowledge bases' engine and the fetcher of their URL documents.
    pub fn with_knowledge(mut self, index: Arc<dyn KnowledgeIndex>, fetcher: Arc<dyn DocumentFetcher>) -> Self {
        self.knowledge = index;
        self.fetcher = fetcher;
        self
    }

    /// Where numbers' tokens are kept, and the token for numbers registered without one.
    pub fn with_token_vault(mut self, vault: Arc<dyn TokenVault>, default_token: Option<Secret>) -> Self {
        self.vault = Arc::new(CachedVault::over(vault));
        self.default_token = default_token;
        self
    }

    /// Lets tenants' URLs reach these ports of this machine over plain HTTP: the local stack's
    /// receivers and the tests' stand-ins only.
    pub fn allowing_loopback_http(mut self, ports: colloquy_domain::model::outbound_url::Ports) -> Self {
        self.outbound.loopback_http_ports = ports;
        self
    }

    pub fn with_webhook_secrets(mut self, secrets: WebhookSecrets) -> Self {
        self.webhook = Some(Arc::new(secrets));
        self
    }

    /// The same app with only what `needs` names: what a function deployed with those needs has.
    /// The local router and the tests call handlers through this, so a route row that forgets a
    /// need fails there, not in production.
    pub fn restricted_to(&self, needs: Needs) -> Self {
        let mut app = self.clone();
        if !needs.queue {
            app.queue = Arc::new(NotBuilt("the trigger queue"));
        }
        if !needs.whatsapp {
            app.whatsapp = Arc::new(NotBuilt("the WhatsApp Graph API client"));
            app.vault = Arc::new(NotBuilt("the token vault"));
            app.default_token = None;
        }
        if !needs.llm {
            app.embedder = None;
            app.llm = Arc::new(NotBuilt("an LLM"));
            app.transcriber = Arc::new(NoTranscription);
        }
        if !needs.media {
            app.media = Arc::new(NotBuilt("the media bucket"));
            app.knowledge = Arc::new(NotBuilt("the knowledge index"));
        }
        if !needs.event_delivery {
            app.events = Arc::new(NotBuilt("outbound event delivery"));
            app.fetcher = Arc::new(NotBuilt("a document fetcher"));
        }
        if !needs.webhook_secrets {
            app.webhook = None;
        }
        app
    }
}
