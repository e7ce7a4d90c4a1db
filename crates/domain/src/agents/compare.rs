//! How an agent's prompt versions did, side by side: per version, over a time range, the
//! conversations it answered and what happened in them, with the counts behind every share so a
//! person can judge whether a difference means anything.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use time::{Duration, OffsetDateTime};

use crate::conversations::port::ConversationStore;
use crate::model::{AgentId, Conversation, DeliveryStatus, Direction, Message, PageRequest, Principal, PromptUsed};
use crate::tools::model::{HANDOFF_TO_HUMAN, TRANSFER};
use crate::AppError;

/// The longest range compared at once.
pub const MAX_RANGE: Duration = Duration::days(92);
pub const DEFAULT_RANGE: Duration = Duration::days(30);
/// Conversations examined at most (newest first); `truncated` says when more were there.
pub const MAX_CONVERSATIONS: usize = 5_000;
/// Messages read per conversation at most.
const MAX_MESSAGES: usize = 1_000;
const PAGE: u32 = 100;

/// Which text a conversation or a reply was written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum VersionKey {
    Version(u32),
    /// The prompt's working copy (agents that follow the latest), any revision.
    WorkingCopy,
}

impl From<PromptUsed> for VersionKey {
    fn from(used: PromptUsed) -> Self {
        match used {
            PromptUsed::Version(number) => VersionKey::Version(number),
            PromptUsed::WorkingCopy(_) => VersionKey::WorkingCopy,
        }
    }
}

/// A boolean or number field of the analyses' JSON answers.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldFigures {
    /// Conversations whose analysis gave the field a value of this kind.
    pub count: u64,
    /// Booleans: how many were `true`, and their share.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub true_count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
    /// Numbers: their mean.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    #[serde(skip)]
    sum: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionFigures {
    pub conversations: u64,
    pub replies: u64,
    /// Conversations the agent handed to a person.
    pub handoffs: u64,
    /// Replies that could not be made or delivered.
    pub failed_replies: u64,
    /// Tool calls by status (`succeeded`, `failed`, `rejected`…).
    pub tool_calls: BTreeMap<String, u64>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Input and output tokens of its replies, per conversation.
    pub tokens_per_conversation: f64,
    /// Conversations with an analysis.
    pub analyzed: u64,
    /// By field of the analyses' JSON answers.
    pub analysis: BTreeMap<String, FieldFigures>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Comparison {
    pub versions: Vec<(VersionKey, VersionFigures)>,
    pub conversations_examined: u64,
    pub truncated: bool,
}

/// A time range, checked: `from` before `to`, at most `MAX_RANGE` long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub from: OffsetDateTime,
    pub to: OffsetDateTime,
}

impl Range {
    pub fn parse(
        from: Option<OffsetDateTime>,
        to: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<Self, crate::model::input::InvalidField> {
        use crate::model::input::InvalidField;
        let to = to.unwrap_or(now);
        let from = from.unwrap_or(to - DEFAULT_RANGE);
        if from >= to {
            return Err(InvalidField::new("from", "must be before `to`"));
        }
        if to - from > MAX_RANGE {
            return Err(InvalidField::new(
                "from",
                format!("the range may span at most {} days", MAX_RANGE.whole_days()),
            ));
        }
        Ok(Self { from, to })
    }

    fn holds(&self, at: OffsetDateTime) -> bool {
        self.from <= at && at < self.to
    }
}

/// The agent's conversations started in `range`, compared by version.
pub async fn versions_compared(
    conversations: &dyn ConversationStore,
    principal: &Principal,
    agent_id: &AgentId,
    range: Range,
) -> Result<Comparison, AppError> {
    let mut figures: BTreeMap<VersionKey, VersionFigures> = BTreeMap::new();
    let mut examined = 0u64;
    let mut truncated = false;
    let mut page = PageRequest { limit: PAGE, cursor: None };
    'pages: loop {
        let listed = conversations.list_conversations(&principal.workspace_id, &page).await?;
        for conversation in listed.items.iter().filter(|c| &c.agent_id == agent_id && range.holds(c.created_at)) {
            if examined as usize >= MAX_CONVERSATIONS {
                truncated = true;
                break 'pages;
            }
            examined += 1;
            let messages = crate::conversations::newest_messages(conversations, &conversation.id, MAX_MESSAGES).await?;
            count(&mut figures, conversation, &messages);
        }
        match listed.next_cursor {
            Some(cursor) => page = PageRequest { limit: PAGE, cursor: Some(cursor) },
            None => break,
        }
    }
    let versions = figures.into_iter().map(|(key, figures)| (key, finished(figures))).collect();
    Ok(Comparison { versions, conversations_examined: examined, truncated })
}

/// A conversation counts for the version its split gave it, else the version of its first reply.
fn version_of(conversation: &Conversation, messages: &[Message]) -> Option<VersionKey> {
    if let Some(arm) = &conversation.prompt_arm {
        return Some(VersionKey::Version(arm.version));
    }
    messages
        .iter()
        .filter(|m| m.direction == Direction::Outbound)
        .min_by_key(|m| m.created_at)?
        .prompt_used
        .map(VersionKey::from)
}

fn count(figures: &mut BTreeMap<VersionKey, VersionFigures>, conversation: &Conversation, messages: &[Message]) {
    for reply in messages.iter().filter(|m| m.direction == Direction::Outbound) {
        let Some(key) = reply.prompt_used.map(VersionKey::from) else { continue };
        let entry = figures.entry(key).or_default();
        entry.replies += 1;
        if reply.status == DeliveryStatus::Failed {
            entry.failed_replies += 1;
        }
        if let Some(usage) = &reply.usage {
            entry.input_tokens += usage.input_tokens;
            entry.output_tokens += usage.output_tokens;
        }
    }
    let Some(key) = version_of(conversation, messages) else { return };
    let entry = figures.entry(key).or_default();
    entry.conversations += 1;
    let calls: Vec<_> = messages.iter().filter_map(|m| m.tool_call.as_ref()).collect();
    for call in &calls {
        let status = serde_json::to_value(call.status).ok().and_then(|s| s.as_str().map(str::to_owned));
        *entry.tool_calls.entry(status.unwrap_or_default()).or_default() += 1;
    }
    let handed_off = calls.iter().any(|c| {
        (c.tool == HANDOFF_TO_HUMAN || c.tool == TRANSFER) && c.status == crate::tools::call::ToolCallStatus::Succeeded
    });
    entry.handoffs += u64::from(handed_off);
    if let Some(Value::Object(answer)) = conversation.analysis.as_ref().and_then(|a| a.json.as_ref()) {
        entry.analyzed += 1;
        for (field, value) in answer {
            let figures = entry.analysis.entry(field.clone()).or_default();
            match value {
                Value::Bool(yes) => {
                    figures.count += 1;
                    *figures.true_count.get_or_insert(0) += u64::from(*yes);
                }
                Value::Number(number) => {
                    figures.count += 1;
                    figures.sum += number.as_f64().unwrap_or_default();
                    figures.mean = Some(0.0);
                }
                _ => {}
            }
        }
    }
}

fn finished(mut figures: VersionFigures) -> VersionFigures {
    let conversations = figures.conversations.max(1) as f64;
    figures.tokens_per_conversation = (figures.input_tokens + figures.output_tokens) as f64 / conversations;
    figures.analysis.retain(|_, field| field.count > 0);
    for field in figures.analysis.values_mut() {
        let count = field.count as f64;
        field.share = field.true_count.map(|yes| yes as f64 / count);
        field.mean = field.mean.map(|_| field.sum / count);
    }
    figures
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::analysis::model::{Analysis, AnalysisCause};
    use crate::model::MessageKind;

    fn conversation(analysis: Option<Value>) -> Conversation {
        let mut conversation = Conversation::start_api(&"ws".into(), "agent".into(), OffsetDateTime::UNIX_EPOCH);
        conversation.analysis = analysis.map(|json| Analysis {
            text: json.to_string(),
            json: Some(json),
            json_error: None,
            prompt_id: "analysis".into(),
            prompt_used: PromptUsed::Version(1),
            model: "m".into(),
            input_tokens: 0,
            output_tokens: 0,
            transcript_through: String::new(),
            cause: AnalysisCause::Done,
            analyzed_at: OffsetDateTime::UNIX_EPOCH,
        });
        conversation
    }

    fn reply(conversation: &Conversation, version: u32, status: DeliveryStatus) -> Message {
        let mut message =
            Message::new(&conversation.id, Direction::Outbound, MessageKind::Text, status, OffsetDateTime::UNIX_EPOCH);
        message.prompt_used = Some(PromptUsed::Version(version));
        message
    }

    #[test]
    fn analyses_give_shares_and_means_with_their_counts() {
        let mut figures = BTreeMap::new();
        let answers = [
            json!({"resolved": true, "satisfaction": 4, "summary": "fine"}),
            json!({"resolved": false, "satisfaction": 2}),
            json!({"resolved": true}),
        ];
        for answer in answers {
            let c = conversation(Some(answer));
            count(&mut figures, &c, &[reply(&c, 3, DeliveryStatus::Delivered)]);
        }
        let c = conversation(None);
        count(&mut figures, &c, &[reply(&c, 3, DeliveryStatus::Failed), reply(&c, 4, DeliveryStatus::Sent)]);

        let v3 = finished(figures.remove(&VersionKey::Version(3)).unwrap_or_default());
        assert_eq!((v3.conversations, v3.replies, v3.failed_replies, v3.analyzed), (4, 4, 1, 3));
        let resolved = &v3.analysis["resolved"];
        assert_eq!((resolved.count, resolved.true_count, resolved.mean), (3, Some(2), None));
        assert!((resolved.share.unwrap_or_default() - 2.0 / 3.0).abs() < 1e-9);
        let satisfaction = &v3.analysis["satisfaction"];
        assert_eq!((satisfaction.count, satisfaction.mean, satisfaction.share), (2, Some(3.0), None));
        assert!(!v3.analysis.contains_key("summary"), "text fields are not figures");
        let v4 = finished(figures.remove(&VersionKey::Version(4)).unwrap_or_default());
        assert_eq!((v4.conversations, v4.replies), (0, 1), "a later version's reply counts as its reply only");
    }
}
