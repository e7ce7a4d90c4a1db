//! Outbound events: what Colloquy tells a workspace's own webhook.

use crate::model::ids::{ConversationId, EventId, MessageId, PolicyId, WorkspaceId};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventType {
    #[serde(rename = "message.received")]
    MessageReceived,
    #[serde(rename = "message.sent")]
    MessageSent,
    #[serde(rename = "policy.violation")]
    PolicyViolation,
    #[serde(rename = "conversation.takeover")]
    ConversationTakeover,
    #[serde(rename = "conversation.analyzed")]
    ConversationAnalyzed,
    #[serde(rename = "tool_call.approval_requested")]
    ToolCallApprovalRequested,
    #[serde(rename = "tool_call.completed")]
    ToolCallCompleted,
    #[serde(rename = "tool_call.failed")]
    ToolCallFailed,
    #[serde(rename = "trigger.dead_lettered")]
    TriggerDeadLettered,
    #[serde(rename = "webhook.disabled")]
    WebhookDisabled,
    #[serde(rename = "contact.erased")]
    ContactErased,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::MessageReceived => "message.received",
            EventType::MessageSent => "message.sent",
            EventType::PolicyViolation => "policy.violation",
            EventType::ConversationTakeover => "conversation.takeover",
            EventType::ConversationAnalyzed => "conversation.analyzed",
            EventType::ToolCallApprovalRequested => "tool_call.approval_requested",
            EventType::ToolCallCompleted => "tool_call.completed",
            EventType::ToolCallFailed => "tool_call.failed",
            EventType::TriggerDeadLettered => "trigger.dead_lettered",
            EventType::WebhookDisabled => "webhook.disabled",
            EventType::ContactErased => "contact.erased",
        }
    }
}

/// The `data` of one kind of event: each kind is one type, documented in the OpenAPI document's
/// `webhooks` section.
pub trait EventData: Serialize {
    const TYPE: EventType;
}

/// `message.received`: a contact wrote.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageReceived {
    pub message_id: MessageId,
    pub wamid: String,
    /// The contact, in E.164.
    pub from: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub text: String,
}

impl EventData for MessageReceived {
    const TYPE: EventType = EventType::MessageReceived;
}

/// `message.sent`: a reply went out.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageSent {
    pub message_id: MessageId,
    pub wamid: Option<String>,
    /// The contact, in E.164.
    pub to: String,
    pub text: Option<String>,
}

impl EventData for MessageSent {
    const TYPE: EventType = EventType::MessageSent;
}

/// `policy.violation`: an `alert` policy matched.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyViolated {
    pub violation_id: String,
    pub policy_id: PolicyId,
    pub policy_name: String,
    pub direction: crate::policies::model::Flow,
    /// The text around the match, the match masked.
    pub excerpt: String,
}

impl EventData for PolicyViolated {
    const TYPE: EventType = EventType::PolicyViolation;
}

/// `conversation.takeover`: a human took the conversation over.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationTakenOver {
    /// When the takeover ends unless handed back (RFC 3339).
    pub until: Option<String>,
    /// The prefix of the API key that took over.
    pub by_key: String,
}

impl EventData for ConversationTakenOver {
    const TYPE: EventType = EventType::ConversationTakeover;
}

/// `conversation.analyzed`: the agent's analysis prompt ran over the transcript.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationAnalyzed {
    pub analysis: crate::analysis::model::AnalysisView,
}

impl EventData for ConversationAnalyzed {
    const TYPE: EventType = EventType::ConversationAnalyzed;
}

/// `tool_call.approval_requested`: a call waits for a person's decision until `expiresAt`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolCallApprovalRequested {
    pub tool_call: crate::tools::call::ToolCallView,
}

impl EventData for ToolCallApprovalRequested {
    const TYPE: EventType = EventType::ToolCallApprovalRequested;
}

/// `tool_call.completed`: a call ran and its tool answered 2xx.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolCallCompleted {
    pub tool_call: crate::tools::call::ToolCallView,
}

impl EventData for ToolCallCompleted {
    const TYPE: EventType = EventType::ToolCallCompleted;
}

/// `tool_call.failed`: a call failed, was rejected or expired.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolCallFailed {
    pub tool_call: crate::tools::call::ToolCallView,
}

impl EventData for ToolCallFailed {
    const TYPE: EventType = EventType::ToolCallFailed;
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// Also the delivery id: a receiver that sees it twice has seen one event.
    pub id: EventId,
    pub workspace_id: WorkspaceId,
    #[serde(rename = "type")]
    pub kind: EventType,
    /// None for an event about the workspace itself (`webhook.disabled`).
    #[serde(default)]
    pub conversation_id: Option<ConversationId>,
    /// Kept as JSON text: callers' content has any shape.
    #[serde(with = "json_text")]
    pub data: Value,
    #[serde(with = "crate::model::timestamp::iso")]
    pub created_at: OffsetDateTime,
    /// How its delivery went (events stored before the log have the default: pending).
    #[serde(default)]
    pub delivery: Delivery,
}

/// Where an event's delivery stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DeliveryStatus {
    /// Queued, or failed and waiting for its next try.
    #[default]
    Pending,
    /// The webhook answered 2xx.
    Delivered,
    /// Every try failed; a person may replay it.
    Failed,
    /// Not sent: the webhook was disabled (or removed) when it was due; a person may replay it.
    Held,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Held => "held",
        }
    }
}

/// The delivery log's line for one event.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub status: DeliveryStatus,
    /// POSTs made, replays included.
    #[serde(default)]
    pub attempts: u32,
    /// The receiver's status code at the last try; none when it did not answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status_code: Option<u16>,
    /// Why the last try failed (no answer, a refused address, a non-2xx status).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::model::timestamp::iso_option")]
    pub last_attempt_at: Option<OffsetDateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::model::timestamp::iso_option")]
    pub replayed_at: Option<OffsetDateTime>,
    /// The prefix of the key that last replayed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replayed_by: Option<String>,
}

/// `webhook.disabled`: the webhook failed too many deliveries in a row and gets no more until
/// the workspace changes it or enables it again. Recorded in the delivery log (it cannot be
/// delivered to the webhook it is about).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDisabled {
    pub webhook_url: String,
    pub reason: String,
}

impl EventData for WebhookDisabled {
    const TYPE: EventType = EventType::WebhookDisabled;
}

mod json_text {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};
    use serde_json::Value;

    pub fn serialize<S: Serializer>(value: &Value, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&value.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        serde_json::from_str(&String::deserialize(d)?).map_err(D::Error::custom)
    }
}

/// `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: the receiver recomputes it with
/// the workspace's webhook secret and refuses stale timestamps.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let signed = crate::model::signing::hmac_hex(secret, &[timestamp.to_string().as_bytes(), b".", body.as_bytes()]);
    format!("t={timestamp},v1={signed}")
}
