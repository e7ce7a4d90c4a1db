//! Meta's WhatsApp Cloud API: what is sent, as whom, what it answers, and where numbers' tokens are kept.

use async_trait::async_trait;

use super::{DownloadError, MediaInfo};
use crate::model::{TemplateMessage, WorkspaceId};

/// A message for the WhatsApp Graph API.
#[derive(Debug, Clone, PartialEq)]
pub enum Outbound {
    /// `callback` goes to Meta as `biz_opaque_callback_data` and comes back in the message's
    /// status webhooks: how a part whose answer was lost is recognised.
    Text {
        to: String,
        body: String,
        callback: Option<String>,
    },
    Template {
        to: String,
        template: TemplateMessage,
    },
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GraphError {
    /// Meta answered with its error envelope.
    #[error("WhatsApp error {code}: {message}")]
    Api { http_status: u16, code: i64, message: String },
    #[error("WhatsApp did not answer in time")]
    Timeout,
    /// The request never left (no connection, DNS, TLS): sending again cannot send twice.
    #[error("WhatsApp could not be reached: {0}")]
    Network(String),
    /// The connection broke after the request was sent: Meta may have accepted it.
    #[error("WhatsApp's answer was lost: {0}")]
    Unknown(String),
}

/// Meta's codes where waiting and retrying can help: throughput and rate limits.
const RETRYABLE_CODES: [i64; 3] = [130429, 131056, 80007];

impl GraphError {
    /// Whether the same request may succeed later. 131047 (outside the 24-hour window) and
    /// 131026 (undeliverable) never will.
    pub fn is_retryable(&self) -> bool {
        match self {
            GraphError::Api { http_status, code, .. } => RETRYABLE_CODES.contains(code) || *http_status >= 500,
            GraphError::Timeout | GraphError::Network(_) | GraphError::Unknown(_) => true,
        }
    }

    /// The request may have reached Meta (no answer came back): sending it again might send it
    /// twice.
    pub fn may_have_arrived(&self) -> bool {
        matches!(self, GraphError::Timeout | GraphError::Unknown(_))
    }

    pub fn code(&self) -> Option<i64> {
        match self {
            GraphError::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Meta's code as a bounded label, for metrics: the codes an operator acts on, else `other`
    /// (or `5xx`); `timeout` and `network` when Meta did not answer.
    pub fn metric_label(&self) -> &'static str {
        match self {
            GraphError::Api { code, http_status, .. } => match code {
                130429 => "130429",
                131056 => "131056",
                80007 => "80007",
                131047 => "131047",
                131026 => "131026",
                131051 => "131051",
                131000 => "131000",
                190 => "190",
                10 => "10",
                100 => "100",
                _ if *http_status >= 500 => "5xx",
                _ => "other",
            },
            GraphError::Timeout => "timeout",
            GraphError::Network(_) => "network",
            GraphError::Unknown(_) => "unknown",
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
    /// The workspace the number sends for (what its calls are counted under).
    pub workspace_id: crate::model::WorkspaceId,
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
