//! A tool call as the conversation records it: stored before it runs and after, so a redelivered
//! trigger resumes where it stopped and never runs a call twice.

use crate::model::{ConversationId, MessageId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolCallStatus {
    /// Waits for a person's decision; the run is paused.
    PendingApproval,
    /// May run (approved by a person, or needing no approval); not started.
    Approved,
    /// Started: if a run finds it so, that run died mid-call, and it is never started again.
    Running,
    Succeeded,
    Failed,
    Rejected,
    Expired,
}

impl ToolCallStatus {
    /// Whether the model has been, or may be, told how it ended.
    pub fn is_settled(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Rejected | Self::Expired)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingApproval => "pending_approval",
            Self::Approved => "approved",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Rejected => "rejected",
            Self::Expired => "expired",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolCall {
    /// The provider's id for the call, which the result must name.
    pub call_id: String,
    /// The message id of the first call the same answer asked for: calls of one answer go back
    /// to the model together.
    pub batch: String,
    pub tool: String,
    /// The arguments as sent to the tool (the model's, with the tool's fixed ones merged over),
    /// JSON text.
    pub arguments: String,
    /// Where the call is sent, fixed when it was proposed: a person approves this address, and
    /// a later change of the tool's URL does not redirect it. `None` for built-ins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub status: ToolCallStatus,
    /// Text the model wrote beside its calls (kept on the first call of the answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assistant_text: Option<String>,
    /// The prefix of the key that approved or rejected it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// An undecided call counts as rejected after this.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::model::timestamp::iso_option")]
    pub expires_at: Option<OffsetDateTime>,
}

impl ToolCall {
    /// When an undecided call expired, if it has by `now`: a decision then is refused and the
    /// call counts as expired, whether or not the scheduler has reached it.
    pub fn expired_by(&self, now: OffsetDateTime) -> Option<OffsetDateTime> {
        self.expires_at.filter(|at| self.status == ToolCallStatus::PendingApproval && *at <= now)
    }

    /// What the model is told about the call, and whether it is an error.
    pub fn outcome_for_model(&self) -> (String, bool) {
        match self.status {
            ToolCallStatus::Succeeded => (self.result.clone().unwrap_or_default(), false),
            ToolCallStatus::Rejected => (
                format!(
                    "A person from the business rejected this call{}",
                    self.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default()
                ),
                true,
            ),
            ToolCallStatus::Expired => ("Nobody approved this call in time; it did not run.".into(), true),
            _ => (format!("The call failed: {}", self.error.as_deref().unwrap_or("unknown error")), true),
        }
    }
}

/// A tool call as the API and the `tool_call.*` events show it: arguments with every detector
/// match masked, the result as kept.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolCallView {
    pub id: String,
    pub conversation_id: ConversationId,
    pub message_id: MessageId,
    pub tool: String,
    pub arguments: serde_json::Value,
    /// Where the call goes when it runs (`null` for built-ins).
    pub url: Option<String>,
    pub status: ToolCallStatus,
    pub decided_by: Option<String>,
    pub reason: Option<String>,
    pub result: Option<String>,
    pub error: Option<String>,
    pub latency_ms: Option<u64>,
    pub expires_at: Option<String>,
    pub created_at: String,
}

impl ToolCallView {
    pub fn new(message: &crate::model::Message, call: &ToolCall) -> Self {
        let masked = crate::policies::model::mask_all(&call.arguments);
        Self {
            id: public_id(&message.conversation_id, &message.id),
            conversation_id: message.conversation_id.clone(),
            message_id: message.id.clone(),
            tool: call.tool.clone(),
            arguments: serde_json::from_str(&masked).unwrap_or(serde_json::Value::String(masked)),
            url: call.url.clone(),
            status: call.status,
            decided_by: call.decided_by.clone(),
            reason: call.reason.clone(),
            result: call.result.clone(),
            error: call.error.clone(),
            latency_ms: call.latency_ms,
            expires_at: call.expires_at.map(crate::model::timestamp::format),
            created_at: crate::model::timestamp::format(message.created_at),
        }
    }
}

/// A tool call's public id names its conversation: `<conversation id>.<message id>`.
pub fn public_id(conversation_id: &ConversationId, message_id: &MessageId) -> String {
    format!("{conversation_id}.{message_id}")
}

/// The conversation and message of a public tool-call id.
pub fn parse_public_id(id: &str) -> Option<(ConversationId, MessageId)> {
    let (conversation, message) = id.split_once('.')?;
    (crate::model::ids::is_id(conversation) && crate::model::ids::is_id(message))
        .then(|| (conversation.into(), message.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn an_undecided_call_has_expired_at_its_time_and_a_decided_one_never() {
        let at = time::OffsetDateTime::UNIX_EPOCH + time::Duration::minutes(30);
        let call = ToolCall {
            call_id: "c".into(),
            batch: "b".into(),
            tool: "t".into(),
            arguments: "{}".into(),
            url: None,
            status: ToolCallStatus::PendingApproval,
            assistant_text: None,
            decided_by: None,
            reason: None,
            result: None,
            error: None,
            latency_ms: None,
            expires_at: Some(at),
        };
        let second = time::Duration::seconds(1);
        assert_eq!(call.expired_by(at - second), None, "a second before");
        assert_eq!(call.expired_by(at), Some(at), "at its time");
        assert_eq!(call.expired_by(at + second), Some(at));
        let approved = ToolCall { status: ToolCallStatus::Approved, ..call.clone() };
        assert_eq!(approved.expired_by(at + second), None, "decided in time");
        let unlimited = ToolCall { expires_at: None, ..call };
        assert_eq!(unlimited.expired_by(at + second), None);
    }

    #[test]
    fn public_ids_round_trip() {
        let id = public_id(&"conv_1".into(), &"msg_2".into());
        assert_eq!(parse_public_id(&id), Some(("conv_1".into(), "msg_2".into())));
        assert_eq!(parse_public_id("msg_2"), None);
        assert_eq!(parse_public_id("x.y"), None);
        let (conversation, message) = (ConversationId::generate(), MessageId::generate());
        assert_eq!(parse_public_id(&public_id(&conversation, &message)), Some((conversation.clone(), message.clone())));
    }

    proptest! {
        #[test]
        fn parsing_any_id_never_panics(id in "\\PC{0,100}") {
            let _ = parse_public_id(&id);
        }
    }
}
