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
    pub conversation_id: ConversationId,
    /// Kept as JSON text: callers' content has any shape.
    #[serde(with = "json_text")]
    pub data: Value,
    #[serde(with = "crate::model::timestamp::iso")]
    pub created_at: OffsetDateTime,
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
