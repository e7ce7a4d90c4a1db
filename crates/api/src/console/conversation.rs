//! A conversation as WhatsApp shows it, with what a person can do beside it: take over, hand
//! back, write to the contact. The transcript polls itself.

use http::StatusCode;
use maud::{html, Markup};
use time::OffsetDateTime;

use super::layout::{csrf, field_error, page as frame, Section};
use super::views::{clock, person, time_left, Names};
use super::web::{self, Form};
use crate::http::request::path_param;
use crate::http::Request;
use crate::model::console_session::ConsoleSession;
use crate::model::{Conversation, ConversationId, DeliveryStatus, Direction, Message, PageRequest};
use crate::usecases::api_keys;
use crate::usecases::conversations::{self, Takeover};
use crate::usecases::operator_messages::{self, OperatorMessage};
use crate::{App, AppError, Reply};

/// The newest messages the page shows.
const TRANSCRIPT_LENGTH: u32 = 100;

fn conversation_path(id: &ConversationId) -> String {
    format!("/console/conversations/{id}")
}

async fn transcript_of(app: &App, session: &ConsoleSession, id: &ConversationId) -> Result<Vec<Message>, AppError> {
    let page = PageRequest { limit: TRANSCRIPT_LENGTH, cursor: None };
    let mut messages = conversations::list_messages(app, &session.principal(), id, &page).await?.items;
    messages.reverse();
    Ok(messages)
}

/// GET /console/conversations/{id}
pub async fn page(app: &App, session: &ConsoleSession, request: &Request) -> Reply {
    let id: ConversationId = path_param(request, "id")?;
    render(app, session, &id, None, StatusCode::OK).await
}

async fn render(
    app: &App,
    session: &ConsoleSession,
    id: &ConversationId,
    composer_error: Option<&str>,
    status: StatusCode,
) -> Reply {
    let conversation = conversations::get_conversation(app, &session.principal(), id).await?;
    let messages = transcript_of(app, session, id).await?;
    let names = api_keys::names_by_prefix(app, &session.principal()).await?;
    let now = app.clock.now();
    let title = title_of(&conversation);
    let content = html! {
        h1 { (title) }
        div.conversation {
            section {
                (transcript_markup(&conversation, &messages, &names, now))
                @if session.role.can_write() { (composer(session, &conversation, composer_error, now)) }
            }
            (panel(session, &conversation, now))
        }
    };
    Ok(web::html(status, frame(&title, Some(session), Some(Section::Inbox), content)))
}

/// GET /console/conversations/{id}/transcript: the transcript alone, for the poll.
pub async fn transcript_fragment(app: &App, session: &ConsoleSession, id: &ConversationId) -> Reply {
    let conversation = conversations::get_conversation(app, &session.principal(), id).await?;
    let messages = transcript_of(app, session, id).await?;
    let names = api_keys::names_by_prefix(app, &session.principal()).await?;
    Ok(web::html(StatusCode::OK, transcript_markup(&conversation, &messages, &names, app.clock.now())))
}

pub async fn transcript(app: &App, session: &ConsoleSession, request: &Request) -> Reply {
    transcript_fragment(app, session, &path_param(request, "id")?).await
}

/// POST /console/conversations/{id}/takeover: the agent stays quiet for the minutes given.
pub async fn take_over(app: &App, session: &ConsoleSession, request: &Request) -> Reply {
    let id: ConversationId = path_param(request, "id")?;
    let form = Form::of(request)?;
    let minutes = match form.get("minutes").map(str::trim).filter(|m| !m.is_empty()) {
        Some(text) => {
            Some(text.parse::<u32>().map_err(|_| AppError::invalid("minutes", "must be a whole number of minutes"))?)
        }
        None => None,
    };
    let input = Takeover { duration_minutes: minutes };
    conversations::take_over(app, &session.principal(), &id, input).await?;
    Ok(web::see_other(&conversation_path(&id)))
}

/// POST /console/conversations/{id}/handback
pub async fn hand_back(app: &App, session: &ConsoleSession, request: &Request) -> Reply {
    let id: ConversationId = path_param(request, "id")?;
    conversations::hand_back(app, &session.principal(), &id).await?;
    Ok(web::see_other(&conversation_path(&id)))
}

/// POST /console/conversations/{id}/messages: a person writes to the contact; a refusal is
/// shown beside the composer.
pub async fn send(app: &App, session: &ConsoleSession, request: &Request) -> Reply {
    let id: ConversationId = path_param(request, "id")?;
    let form = Form::of(request)?;
    let input = OperatorMessage { text: form.get("text").map(str::to_owned), template: None };
    match operator_messages::send_operator_message(app, &session.principal(), &id, input).await {
        Ok(_) => Ok(web::see_other(&conversation_path(&id))),
        Err(AppError::Validation { message, .. }) => {
            render(app, session, &id, Some(&message), StatusCode::BAD_REQUEST).await
        }
        Err(AppError::WhatsApp(err)) => {
            let message = format!("WhatsApp did not take it: {err}");
            render(app, session, &id, Some(&message), StatusCode::BAD_GATEWAY).await
        }
        Err(err) => Err(err.into()),
    }
}

fn title_of(conversation: &Conversation) -> String {
    match conversation.contact() {
        Some(contact) => contact.name.clone().unwrap_or_else(|| contact.phone_number.clone()),
        None => "API conversation".into(),
    }
}

fn transcript_markup(conversation: &Conversation, messages: &[Message], names: &Names, now: OffsetDateTime) -> Markup {
    let poll = format!("{}/transcript", conversation_path(&conversation.id));
    html! {
        div.transcript #transcript data-testid="transcript" hx-get=(poll) hx-trigger="every 3s" hx-swap="outerHTML" {
            @if messages.is_empty() { p.empty { "No messages yet." } }
            @for message in messages { (bubble(message, names, now)) }
        }
    }
}

fn bubble(message: &Message, names: &Names, now: OffsetDateTime) -> Markup {
    let class = match (message.direction, message.operator_key.is_some()) {
        (Direction::Inbound, _) => "bubble inbound",
        (Direction::Outbound, true) => "bubble operator-out",
        (Direction::Outbound, false) => "bubble outbound",
        (Direction::Operator, _) => "bubble operator",
        (Direction::Tool, _) => "bubble tool",
    };
    html! {
        div class=(class) data-testid="message" data-direction=(format!("{:?}", message.direction).to_lowercase()) {
            @if let Some(call) = &message.tool_call {
                (super::approvals::call_details(call, names))
            } @else {
                (body_of(message))
            }
            span.meta {
                @if let Some(key) = &message.operator_key { "by " (person(names, key)) " · " }
                (clock(message.created_at, now))
                @if message.direction == Direction::Outbound { " " (ticks(message)) }
            }
        }
    }
}

fn body_of(message: &Message) -> Markup {
    html! {
        @if message.deleted {
            em { "deleted by the contact" }
        } @else {
            @if let Some(media) = &message.media {
                div.media { "[" (message.kind.as_str()) "]"
                    @if let Some(transcript) = &media.transcript { " “" (transcript) "”" }
                }
            }
            @if let Some(text) = &message.text { (text) }
            @if let Some(template) = &message.template { "Template: " (template) }
            @if message.edited { " " small { "(edited)" } }
            @if let Some(reaction) = &message.reaction { " " span.reaction { (reaction) } }
        }
    }
}

/// WhatsApp's ticks from the delivery status; a failure with Meta's reason.
fn ticks(message: &Message) -> Markup {
    html! {
        @match message.status {
            DeliveryStatus::Pending => span title="sending" { "🕓" },
            DeliveryStatus::Sent => span title="sent" { "✓" },
            DeliveryStatus::Delivered => span title="delivered" { "✓✓" },
            DeliveryStatus::Read => span.read title="read" { "✓✓ read" },
            DeliveryStatus::Failed => span.failed data-testid="send-failed" {
                "not delivered" @if let Some(error) = &message.error { ": " (error.message) " (" (error.code) ")" }
            },
            DeliveryStatus::Skipped => span title="not sent" {
                "not sent" @if let Some(error) = &message.error { ": " (error.message) }
            },
            DeliveryStatus::Received => {},
        }
    }
}

fn panel(session: &ConsoleSession, conversation: &Conversation, now: OffsetDateTime) -> Markup {
    let path = conversation_path(&conversation.id);
    let taken_over = conversation.is_human_takeover(now);
    html! {
        aside.panel {
            @if conversation.channel.is_whatsapp() {
                div data-testid="window" { "24-hour window: " strong { (time_left(conversation.window_remaining(now))) } }
            }
            div data-testid="agent-state" {
                @if taken_over { "The agent is paused: a person has this conversation." }
                @else { "The agent answers." }
            }
            @if session.role.can_write() {
                @if taken_over {
                    form method="post" action=(format!("{path}/handback")) {
                        (csrf(session))
                        button type="submit" data-testid="hand-back" { "Hand back to the agent" }
                    }
                } @else {
                    form method="post" action=(format!("{path}/takeover")) {
                        (csrf(session))
                        label { "for " input type="number" name="minutes" min="1" max="1440" value="30" aria-label="Minutes"; " min" }
                        button type="submit" data-testid="take-over" { "Take over" }
                    }
                }
            }
            @if conversation.done_at.is_some() { div { "Marked done." } }
        }
    }
}

fn composer(session: &ConsoleSession, conversation: &Conversation, error: Option<&str>, now: OffsetDateTime) -> Markup {
    html! {
        @if conversation.channel.is_whatsapp() && !conversation.is_window_open(now) {
            p.composer data-testid="window-closed" {
                "The 24-hour window is closed: only a template can reach the contact now (POST …/messages/ with a template)."
            }
        } @else if conversation.channel.is_whatsapp() {
            form.composer method="post" action=(format!("{}/messages", conversation_path(&conversation.id))) {
                (csrf(session))
                label for="composer-text" { "Write to the contact as " (session.key_name) }
                textarea #composer-text name="text" required maxlength="4096" data-testid="composer"
                    aria-invalid=[error.map(|_| "true")] {}
                (field_error(error))
                button type="submit" data-testid="send" { "Send" }
            }
        }
    }
}
