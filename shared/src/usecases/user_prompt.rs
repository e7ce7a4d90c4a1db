//! Flashback's prompt: a user turn in a conversation (WhatsApp or API-only), queued for the
//! worker; with `waitSeconds`, the reply is awaited and returned with its token counts.

use std::time::Duration;

use serde::Deserialize;

use crate::model::input::required_text;
use crate::model::policy::Flow;
use crate::model::MessageKind;
use crate::model::{DeliveryStatus, Direction, Message, PageRequest, Principal};
use crate::ports::{StoreError, Trigger, TriggerKind};
use crate::usecases::conversations::get_conversation;
use crate::usecases::optimistic::Retries;
use crate::usecases::policies::evaluate;
use crate::{App, AppError};

pub const MAX_PROMPT_CHARS: usize = 16_000;
pub const MAX_WAIT_SECONDS: u32 = 25;
const POLL_EVERY: Duration = Duration::from_millis(200);

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserPrompt {
    pub prompt: String,
    #[serde(default)]
    pub wait_seconds: Option<u32>,
}

pub struct Sent {
    pub prompt: Message,
    /// The agent's reply, when it came within `waitSeconds`.
    pub reply: Option<Message>,
}

pub async fn send_prompt(
    app: &App,
    principal: &Principal,
    conversation_id: &str,
    input: UserPrompt,
) -> Result<Sent, AppError> {
    let text = required_text("prompt", &input.prompt, MAX_PROMPT_CHARS)?;
    let wait = input.wait_seconds.unwrap_or(0);
    if wait > MAX_WAIT_SECONDS {
        return Err(AppError::invalid("waitSeconds", format!("must be from 0 to {MAX_WAIT_SECONDS}")));
    }
    let conversation = get_conversation(app, principal, conversation_id).await?;
    if let Some(workspace) = app.workspaces.get(app, &conversation.workspace_id).await? {
        crate::usecases::quota::check(app, &workspace).await?;
    }
    let verdict = evaluate(app, &conversation.workspace_id, &conversation.id, Flow::Input, &text).await?;
    if let Some(policy) = verdict.blocked_by {
        return Err(AppError::bad_request(format!(
            "the prompt was blocked by the policy `{policy}`; nothing was sent"
        )));
    }
    let prompt = store_and_queue(app, principal, conversation_id, &text).await?;
    let reply = if wait > 0 { await_reply(app, &prompt, Duration::from_secs(u64::from(wait))).await? } else { None };
    Ok(Sent { prompt, reply })
}

async fn store_and_queue(
    app: &App,
    principal: &Principal,
    conversation_id: &str,
    text: &str,
) -> Result<Message, AppError> {
    let mut retries = Retries::new("the conversation");
    loop {
        retries.another().await?;
        let conversation = get_conversation(app, principal, conversation_id).await?;
        let now = app.clock.now();
        if !conversation.is_window_open(now) {
            return Err(AppError::bad_request(
                "the conversation is not active: its WhatsApp contact has not written in the last 24 hours, so no reply could be sent",
            ));
        }
        let mut message =
            Message::new(&conversation.id, Direction::Inbound, MessageKind::Prompt, DeliveryStatus::Received, now);
        message.text = Some(text.to_owned());
        let mut updated = conversation.revised(now);
        updated.last_message = Some(crate::model::conversation::preview(text));
        match app.store.save_conversation(&updated, Some(conversation.revision), std::slice::from_ref(&message)).await {
            Ok(()) => {
                let trigger = Trigger {
                    id: message.id.clone(),
                    workspace_id: conversation.workspace_id.clone(),
                    conversation_id: conversation.id.clone(),
                    kind: TriggerKind::UserPrompt,
                    attempt: None,
                };
                app.queue.enqueue(&trigger).await.map_err(|err| AppError::Internal(err.to_string()))?;
                return Ok(message);
            }
            Err(StoreError::Conflict(_)) => continue,
            Err(err) => return Err(err.into()),
        }
    }
}

/// The first finished reply after the prompt (ids are time-ordered), or none within `wait`.
async fn await_reply(app: &App, prompt: &Message, wait: Duration) -> Result<Option<Message>, AppError> {
    let deadline = tokio::time::Instant::now() + wait;
    let recent = PageRequest { limit: 10, cursor: None };
    loop {
        let messages = app.store.list_messages(&prompt.conversation_id, &recent).await?.items;
        let reply = messages
            .into_iter()
            .filter(|m| m.id > prompt.id && m.direction == Direction::Outbound && m.kind == MessageKind::Text)
            .min_by(|a, b| a.id.cmp(&b.id));
        if let Some(reply) = reply.filter(|r| r.status != DeliveryStatus::Pending) {
            return Ok(Some(reply));
        }
        if tokio::time::Instant::now() + POLL_EVERY > deadline {
            return Ok(None);
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}
