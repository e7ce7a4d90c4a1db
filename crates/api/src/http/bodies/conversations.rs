//! The bodies of the conversation endpoints: starting one, a person's message, an operator's
//! instruction, a takeover, a user's prompt.

use serde::Deserialize;

use super::template;
use crate::model::input::{required_text, InvalidField};
use crate::model::phone::normalize_e164;
use crate::model::{AgentId, ChannelKind, TemplateMessage};
use colloquy_domain::conversations::operator_messages::{OperatorMessage, MAX_TEXT_CHARS};
use colloquy_domain::conversations::{NewConversation, TakeoverMinutes, MAX_PROMPT_CHARS};
use colloquy_domain::prompts::user_prompt::{self, UserPrompt};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewConversationBody {
    #[serde(default)]
    pub to_number: Option<String>,
    #[serde(default)]
    pub from_number: Option<String>,
    #[serde(default)]
    pub agent_id: Option<AgentId>,
    #[serde(default)]
    pub message: Option<OpeningMessageBody>,
    /// Deprecated alias of `toNumber`.
    #[serde(default)]
    pub phone_number: Option<String>,
    /// `whatsapp` (default), or `api` for a conversation held only over the HTTP API.
    #[serde(default)]
    pub channel: ChannelKind,
}

#[derive(Debug, Deserialize)]
pub struct OpeningMessageBody {
    #[serde(rename = "type")]
    pub kind: OpeningKind,
    #[serde(default)]
    pub template: Option<TemplateMessage>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OpeningKind {
    Template,
}

impl TryFrom<NewConversationBody> for NewConversation {
    type Error = InvalidField;

    fn try_from(body: NewConversationBody) -> Result<Self, InvalidField> {
        if body.channel == ChannelKind::Test {
            return Err(InvalidField::new(
                "channel",
                "test conversations are made by test runs (POST /api/v1/test-suites/{id}/runs/)",
            ));
        }
        if body.channel == ChannelKind::Api {
            if body.message.is_some() {
                return Err(InvalidField::new(
                    "message",
                    "an API conversation has no WhatsApp contact to send a template to",
                ));
            }
            return Ok(NewConversation::Api { agent_id: agent_id(body.agent_id)? });
        }
        let (field, raw_to) = match (&body.to_number, &body.phone_number) {
            (Some(to), _) => ("toNumber", to.as_str()),
            (None, Some(to)) => ("phoneNumber", to.as_str()),
            (None, None) => {
                return Err(InvalidField::new("toNumber", "is required: the contact's number in E.164 form"))
            }
        };
        let to = normalize_e164(raw_to)
            .ok_or_else(|| InvalidField::new(field, "must be a phone number in E.164 form, like +15551234567"))?;
        let agent_id = agent_id(body.agent_id)?;
        let opening = match body.message {
            None => None,
            Some(OpeningMessageBody { kind: OpeningKind::Template, template: None }) => {
                return Err(InvalidField::new("message.template", "is required when message.type is `template`"))
            }
            Some(OpeningMessageBody { kind: OpeningKind::Template, template: Some(t) }) => {
                Some(template("message.template", t)?)
            }
        };
        Ok(NewConversation::WhatsApp { to, from_number: body.from_number, agent_id, opening })
    }
}

fn agent_id(id: Option<AgentId>) -> Result<AgentId, InvalidField> {
    id.ok_or_else(|| InvalidField::new("agentId", "is required"))
}

/// `{"text"}` or `{"template"}`, exactly one.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorMessageBody {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub template: Option<TemplateMessage>,
}

impl TryFrom<OperatorMessageBody> for OperatorMessage {
    type Error = InvalidField;

    fn try_from(body: OperatorMessageBody) -> Result<Self, InvalidField> {
        match (body.text, body.template) {
            (Some(text), None) => Ok(OperatorMessage::Text(required_text("text", &text, MAX_TEXT_CHARS)?)),
            (None, Some(chosen)) => Ok(OperatorMessage::Template(template("template", chosen)?)),
            // Not one field's fault: the body's.
            _ => Err(InvalidField::new("", "send either `text` or `template`")),
        }
    }
}

/// An operator's instruction to the agent.
#[derive(Debug, Deserialize)]
pub struct OperatorPromptBody {
    pub prompt: String,
}

pub struct Instruction(pub String);

impl TryFrom<OperatorPromptBody> for Instruction {
    type Error = InvalidField;

    fn try_from(body: OperatorPromptBody) -> Result<Self, InvalidField> {
        Ok(Instruction(required_text("prompt", &body.prompt, MAX_PROMPT_CHARS)?))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TakeoverBody {
    #[serde(default)]
    pub duration_minutes: Option<u32>,
}

impl TryFrom<TakeoverBody> for TakeoverMinutes {
    type Error = InvalidField;

    fn try_from(body: TakeoverBody) -> Result<Self, InvalidField> {
        match body.duration_minutes {
            None => Ok(TakeoverMinutes::DEFAULT),
            Some(minutes) => TakeoverMinutes::new(minutes).map_err(|err| err.at("durationMinutes")),
        }
    }
}

/// Flashback's prompt: a user's turn, and how long to wait for the reply.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserPromptBody {
    pub prompt: String,
    #[serde(default)]
    pub wait_seconds: Option<u32>,
}

impl TryFrom<UserPromptBody> for UserPrompt {
    type Error = InvalidField;

    fn try_from(body: UserPromptBody) -> Result<Self, InvalidField> {
        let prompt = required_text("prompt", &body.prompt, user_prompt::MAX_PROMPT_CHARS)?;
        let wait_seconds = body.wait_seconds.unwrap_or(0);
        if wait_seconds > user_prompt::MAX_WAIT_SECONDS {
            return Err(InvalidField::new(
                "waitSeconds",
                format!("must be from 0 to {}", user_prompt::MAX_WAIT_SECONDS),
            ));
        }
        Ok(UserPrompt { prompt, wait_seconds })
    }
}
