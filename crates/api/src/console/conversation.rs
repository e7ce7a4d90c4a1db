//! A conversation as WhatsApp shows it, with what a person can do beside it: take over, hand
//! back, write to the contact. The transcript polls itself.

use http::StatusCode;
use maud::{html, Markup};
use time::OffsetDateTime;

use super::layout::{csrf, field_error, page as frame, Section};
use super::views::{clock, person, time_left, Names};
use super::web::{self, Form};
use crate::http::bodies::conversations::{OperatorMessageBody, TakeoverBody};
use crate::http::request::path_param;
use crate::http::Request;
use crate::model::{
    Conversation, ConversationId, DeliveryStatus, Direction, ErrorReason, MediaRef, Message, MessageKind, PageRequest,
    TemplateMessage,
};
use crate::ports::TemplateSummary;
use crate::{App, AppError, Reply};
use colloquy_domain::analysis;
use colloquy_domain::analysis::model::AnalysisCause;
use colloquy_domain::api_keys;
use colloquy_domain::console_sessions::model::ConsoleSession;
use colloquy_domain::conversations::operator_messages::{self, OperatorMessage};
use colloquy_domain::conversations::{self, TakeoverMinutes};
use colloquy_domain::numbers::templates;
use colloquy_domain::tools::call::{public_id, ToolCallStatus};

/// The newest messages the page shows.
const TRANSCRIPT_LENGTH: u32 = 100;

fn conversation_path(id: &ConversationId) -> String {
    format!("/console/conversations/{id}")
}

async fn transcript_of(app: &App, session: &ConsoleSession, id: &ConversationId) -> Result<Vec<Message>, AppError> {
    let page = PageRequest { limit: TRANSCRIPT_LENGTH, cursor: None };
    let mut messages = conversations::list_messages(&*app.store, &session.principal(), id, &page).await?.items;
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
    let conversation = conversations::get_conversation(&*app.store, &session.principal(), id).await?;
    let messages = transcript_of(app, session, id).await?;
    let names = api_keys::names_by_prefix(&*app.store, &session.principal()).await?;
    let now = app.clock.now();
    let title = title_of(&conversation);
    // Only a closed window needs a template; Meta is asked only then.
    let templates =
        if session.role.can_write() && conversation.channel.is_whatsapp() && !conversation.is_window_open(now) {
            templates::for_conversation(&app.sender_ports(), &*app.whatsapp, &conversation).await
        } else {
            Ok(Vec::new())
        };
    let content = html! {
        h1 { (title) }
        div.conversation {
            section {
                (transcript_markup(session, &conversation, &messages, &names, now))
                @if session.role.can_write() { (composer(session, &conversation, &templates, composer_error, now)) }
            }
            (panel(session, &conversation, &names, now))
        }
    };
    Ok(web::html(status, frame(&title, Some(session), Some(Section::Inbox), content)))
}

/// GET /console/conversations/{id}/transcript: the transcript alone, for the poll; 204 while it
/// is as the page shows it (so a reason being typed into it is not swapped away).
pub async fn transcript_fragment(
    app: &App,
    session: &ConsoleSession,
    id: &ConversationId,
    since: Option<&str>,
) -> Reply {
    let conversation = conversations::get_conversation(&*app.store, &session.principal(), id).await?;
    let messages = transcript_of(app, session, id).await?;
    if since == Some(fingerprint(&messages).as_str()) {
        let mut unchanged = crate::http::Response::new(crate::http::Body::Empty);
        *unchanged.status_mut() = StatusCode::NO_CONTENT;
        return Ok(web::secure(unchanged));
    }
    let names = api_keys::names_by_prefix(&*app.store, &session.principal()).await?;
    Ok(web::html(StatusCode::OK, transcript_markup(session, &conversation, &messages, &names, app.clock.now())))
}

pub async fn transcript(app: &App, session: &ConsoleSession, request: &Request) -> Reply {
    let since = crate::http::request::query_param(request, "since");
    transcript_fragment(app, session, &path_param(request, "id")?, since.as_deref()).await
}

/// POST /console/conversations/{id}/takeover: the agent stays quiet for the minutes given.
pub async fn take_over(app: &App, session: &ConsoleSession, request: &Request) -> Reply {
    let id: ConversationId = path_param(request, "id")?;
    let form = Form::of(request)?;
    let minutes = match form.get("minutes").map(str::trim).filter(|m| !m.is_empty()) {
        Some(text) => Some(
            text.parse::<u32>()
                .map_err(|_| crate::http::request::invalid("minutes", "must be a whole number of minutes"))?,
        ),
        None => None,
    };
    let input = TakeoverMinutes::try_from(TakeoverBody { duration_minutes: minutes })?;
    conversations::take_over(&app.conversation_ports(), &session.principal(), &id, input).await?;
    Ok(web::see_other(&conversation_path(&id)))
}

/// POST /console/conversations/{id}/handback
pub async fn hand_back(app: &App, session: &ConsoleSession, request: &Request) -> Reply {
    let id: ConversationId = path_param(request, "id")?;
    conversations::hand_back(&*app.store, &*app.clock, &session.principal(), &id).await?;
    Ok(web::see_other(&conversation_path(&id)))
}

/// POST /console/conversations/{id}/messages: a person writes to the contact; a refusal is
/// shown beside the composer.
pub async fn send(app: &App, session: &ConsoleSession, request: &Request) -> Reply {
    let id: ConversationId = path_param(request, "id")?;
    let form = Form::of(request)?;
    let chosen = form.get("choice").and_then(|choice| choice.rsplit_once(':'));
    let named = form.get("template").map(str::trim).filter(|name| !name.is_empty());
    let body = match (chosen, named) {
        (Some((name, language)), _) => {
            OperatorMessageBody { text: None, template: Some(template_of(name, Some(language), &form)) }
        }
        (None, Some(name)) => OperatorMessageBody { text: None, template: Some(template_of(name, None, &form)) },
        (None, None) => OperatorMessageBody { text: form.get("text").map(str::to_owned), template: None },
    };
    let sent = match OperatorMessage::try_from(body) {
        Ok(input) => {
            operator_messages::send_operator_message(&app.conversation_ports(), &session.principal(), &id, input)
                .await
                .map_err(crate::http::error::named)
        }
        Err(invalid) => Err(AppError::from(invalid)),
    };
    match sent {
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

/// POST /console/conversations/{id}/done: follow-ups stop until the contact writes again.
pub async fn done(app: &App, session: &ConsoleSession, request: &Request) -> Reply {
    let id: ConversationId = path_param(request, "id")?;
    let conversation = conversations::mark_done(&*app.store, &*app.clock, &session.principal(), &id).await?;
    analysis::after_done(&app.analysis_ports(), &conversation).await;
    Ok(web::see_other(&conversation_path(&id)))
}

/// POST /console/conversations/{id}/analyze: the agent's analysis of the transcript, queued.
pub async fn analyze(app: &App, session: &ConsoleSession, request: &Request) -> Reply {
    let id: ConversationId = path_param(request, "id")?;
    let conversation = conversations::get_conversation(&*app.store, &session.principal(), &id).await?;
    let agent = app.store.get_agent(&conversation.workspace_id, &conversation.agent_id).await?;
    analysis::request(&app.analysis_ports(), &conversation, agent.as_ref(), AnalysisCause::OnDemand).await?;
    Ok(web::see_other(&conversation_path(&id)))
}

/// A template from the composer's fields: its name, language (the chosen template's, else the
/// field's) and body variables (one a line).
fn template_of(name: &str, language: Option<&str>, form: &Form) -> TemplateMessage {
    let language =
        language.or_else(|| form.get("language")).map(str::trim).filter(|l| !l.is_empty()).unwrap_or("en_US");
    let body = form.get("variables").unwrap_or_default().lines().map(str::trim).filter(|v| !v.is_empty());
    let mut template =
        TemplateMessage { name: name.to_owned(), language: language.to_owned(), variables: Default::default() };
    template.variables.body = body.map(str::to_owned).collect();
    template
}

fn cause_label(cause: AnalysisCause) -> &'static str {
    match cause {
        AnalysisCause::Done => "when marked done",
        AnalysisCause::Silence => "after a silence",
        AnalysisCause::OnDemand => "on demand",
    }
}

fn title_of(conversation: &Conversation) -> String {
    match conversation.contact() {
        Some(contact) => contact.name.clone().unwrap_or_else(|| contact.phone_number.clone()),
        None => "API conversation".into(),
    }
}

fn transcript_markup(
    session: &ConsoleSession,
    conversation: &Conversation,
    messages: &[Message],
    names: &Names,
    now: OffsetDateTime,
) -> Markup {
    let poll = format!("{}/transcript?since={}", conversation_path(&conversation.id), fingerprint(messages));
    html! {
        div.transcript #transcript data-testid="transcript" hx-get=(poll) hx-trigger="every 3s" hx-swap="outerHTML" {
            @if messages.is_empty() { p.empty { "No messages yet." } }
            @for message in messages { (bubble(session, message, names, now)) }
        }
    }
}

/// Changes whenever what the transcript shows would.
fn fingerprint(messages: &[Message]) -> String {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut hasher = DefaultHasher::new();
    for message in messages {
        (message.id.as_str(), message.status.rank(), &message.text, &message.reaction, message.deleted)
            .hash(&mut hasher);
        message.tool_call.as_ref().map(|call| (call.status.as_str(), &call.result)).hash(&mut hasher);
        message.media.as_ref().map(|media| (&media.key, &media.transcript, &media.preview_key)).hash(&mut hasher);
    }
    format!("{:016x}", hasher.finish())
}

fn bubble(session: &ConsoleSession, message: &Message, names: &Names, now: OffsetDateTime) -> Markup {
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
                @if call.status == ToolCallStatus::PendingApproval && session.role.can_write() {
                    (super::approvals::decision_forms(session, &public_id(&message.conversation_id, &message.id), &conversation_path(&message.conversation_id)))
                }
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
            @if let Some(media) = &message.media { (media_of(message, media)) }
            @if let Some(text) = &message.text { (text) }
            @if let Some(template) = &message.template { "Template: " (template) }
            @if message.edited { " " small { "(edited)" } }
            @if let Some(reaction) = &message.reaction { " " span.reaction { (reaction) } }
            @if let Some(error) = message.error.as_ref().filter(|e| e.reason == ErrorReason::PolicyBlocked) {
                p.failed data-testid="policy-blocked" { "⚠ " (error.message) }
            }
        }
    }
}

/// A voice note to play with its transcript, an image's preview, a document's name: served by
/// the console itself.
fn media_of(message: &Message, media: &MediaRef) -> Markup {
    let link = format!("/console/conversations/{}/media/{}", message.conversation_id, message.id);
    let stored = media.key.is_some();
    html! {
        div.media data-testid="media" data-kind=(message.kind.as_str()) {
            @if stored && message.kind == MessageKind::Audio {
                audio controls preload="none" src=(link) data-testid="voice-player" {}
            }
            @if let Some(transcript) = &media.transcript { p.voice-transcript data-testid="transcript-text" { "“" (transcript) "”" } }
            @if media.preview_key.is_some() {
                img.thumbnail src=(format!("{link}?preview=1")) alt=(media.caption.as_deref().unwrap_or("an image the contact sent"));
            }
            @if message.kind == MessageKind::Document {
                @if stored { a href=(link) data-testid="document" { "📄 " (media.filename.as_deref().unwrap_or("document")) } }
                @else { "📄 " (media.filename.as_deref().unwrap_or("document")) }
            }
            @if let Some(failure) = &media.failure { p.failed { "not kept: " (failure) } }
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

fn panel(session: &ConsoleSession, conversation: &Conversation, names: &Names, now: OffsetDateTime) -> Markup {
    let path = conversation_path(&conversation.id);
    let taken_over = conversation.is_human_takeover(now);
    html! {
        aside.panel {
            @if conversation.channel.is_whatsapp() {
                div data-testid="window" { "24-hour window: " strong { (time_left(conversation.window_remaining(now))) } }
            }
            div data-testid="agent-state" {
                @if taken_over {
                    "The agent is paused: "
                    @match &conversation.taken_over_by {
                        Some(by) => { (person(names, by)) " has this conversation." }
                        None => { "a person has this conversation." }
                    }
                }
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
            @if conversation.done_at.is_some() {
                div data-testid="done" { "Marked done" @if let Some(by) = &conversation.done_by { " by " (person(names, by)) } "." }
            }
            @if session.role.can_write() {
                form method="post" action=(format!("{path}/done")) {
                    (csrf(session))
                    button.secondary type="submit" data-testid="mark-done" { "Mark done" }
                }
                form method="post" action=(format!("{path}/analyze")) {
                    (csrf(session))
                    button.secondary type="submit" data-testid="analyze" { "Run analysis" }
                }
            }
            @if let Some(analysis) = &conversation.analysis {
                section.analysis data-testid="analysis" {
                    h2 { "Analysis" }
                    p { (analysis.text) }
                    small { (cause_label(analysis.cause)) " · " (clock(analysis.analyzed_at, now)) }
                }
            }
        }
    }
}

fn composer(
    session: &ConsoleSession,
    conversation: &Conversation,
    templates: &Result<Vec<TemplateSummary>, String>,
    error: Option<&str>,
    now: OffsetDateTime,
) -> Markup {
    html! {
        @if conversation.channel.is_whatsapp() && !conversation.is_window_open(now) {
            form.composer method="post" action=(format!("{}/messages", conversation_path(&conversation.id))) data-testid="template-composer" {
                (csrf(session))
                p data-testid="window-closed" { "The 24-hour window is closed: only an approved template can reach the contact now." }
                @match templates {
                    Ok(offered) if !offered.is_empty() => {
                        label for="template-choice" { "Approved template" }
                        select #template-choice name="choice" required data-testid="template-choice" {
                            @for template in offered {
                                option value=(format!("{}:{}", template.name, template.language)) {
                                    (template.name) " (" (template.language) ") — "
                                    (template.variables) @if template.variables == 1 { " variable" } @else { " variables" }
                                    ": " (template.body)
                                }
                            }
                        }
                    }
                    _ => {
                        @if let Err(why) = templates {
                            p.hint data-testid="templates-unavailable" { "The number's templates could not be listed (" (why) "); name one:" }
                        }
                        label { "Template name " input type="text" name="template" required maxlength="512" data-testid="template-name"; }
                        label { " language " input type="text" name="language" value="en_US" maxlength="16"; }
                    }
                }
                label for="template-variables" { "Body variables, one a line" }
                textarea #template-variables name="variables" rows="3" {}
                (field_error(error))
                button type="submit" data-testid="send-template" { "Send the template" }
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
