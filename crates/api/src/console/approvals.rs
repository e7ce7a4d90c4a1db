//! One queue of every tool call waiting for a person, soonest to expire first: approve, or reject
//! with a reason. A call decided elsewhere leaves the queue; deciding it again is refused (409)
//! by the same use case the API calls.

use http::StatusCode;
use maud::{html, Markup};
use time::OffsetDateTime;

use super::layout::{csrf, page as frame, Section};
use super::views::{clock, person, time_left, Names};
use super::web::{self, Form};
use crate::http::request::path_param;
use crate::http::Request;
use crate::model::Direction;
use crate::{App, Reply};
use colloquy_domain::console_sessions::model::ConsoleSession;
use colloquy_domain::policies::model::mask_all;
use colloquy_domain::tools::call::{public_id, ToolCall};
use colloquy_domain::tools::tool_calls::{self, Awaiting, Decision};

/// GET /console/approvals
pub async fn page(app: &App, session: &ConsoleSession, _request: &Request) -> Reply {
    let awaiting = tool_calls::awaiting(&*app.store, &*app.store, &session.principal()).await?;
    let now = app.clock.now();
    let content = html! {
        h1 { "Approvals" }
        div #approvals hx-get="/console/approvals" hx-select="#approvals" hx-trigger="every 5s" hx-swap="outerHTML" {
            @if awaiting.is_empty() {
                p.empty data-testid="approvals-empty" { "Nothing is waiting for a decision." }
            }
            @for item in &awaiting { (card(session, item, now)) }
        }
    };
    Ok(web::html(StatusCode::OK, frame("Approvals", Some(session), Some(Section::Approvals), content)))
}

/// POST /console/tool-calls/{id}/approve
pub async fn approve(app: &App, session: &ConsoleSession, request: &Request) -> Reply {
    let id: String = path_param(request, "id")?;
    tool_calls::decide(&app.reply_ports(), &*app.queue, &session.principal(), &id, Decision::Approve).await?;
    Ok(web::see_other(&back(request)))
}

/// POST /console/tool-calls/{id}/reject: with the reason the agent is told.
pub async fn reject(app: &App, session: &ConsoleSession, request: &Request) -> Reply {
    let id: String = path_param(request, "id")?;
    let form = Form::of(request)?;
    let decision = Decision::reject(form.get("reason")).map_err(|err| err.at("reason"))?;
    tool_calls::decide(&app.reply_ports(), &*app.queue, &session.principal(), &id, decision).await?;
    Ok(web::see_other(&back(request)))
}

/// Where the decision was made: the queue, or the conversation.
fn back(request: &Request) -> String {
    let form = Form::of(request).ok();
    web::local_target(form.as_ref().and_then(|form| form.get("back")), "/console/approvals")
}

fn card(session: &ConsoleSession, item: &Awaiting, now: OffsetDateTime) -> Markup {
    let Some(call) = &item.message.tool_call else { return html! {} };
    let id = public_id(&item.conversation.id, &item.message.id);
    let who = item
        .conversation
        .contact()
        .map(|contact| contact.name.clone().unwrap_or_else(|| contact.phone_number.clone()))
        .unwrap_or_else(|| "API conversation".into());
    html! {
        article.approval data-testid="approval" data-call=(id) {
            h2 { (call.tool) " for " a href=(format!("/console/conversations/{}", item.conversation.id)) { (who) } }
            p { "Asked at " (clock(item.message.created_at, now))
                @if let Some(expires) = call.expires_at { " · expires in " strong { (time_left(expires - now)) } } }
            @if !item.last_turns.is_empty() {
                div.turns data-testid="last-turns" {
                    @for turn in &item.last_turns {
                        p class=(if turn.direction == Direction::Inbound { "turn inbound" } else { "turn outbound" }) {
                            strong { (if turn.direction == Direction::Inbound { "Contact: " } else { "Agent: " }) }
                            (turn.text.as_deref().unwrap_or_default())
                        }
                    }
                }
            }
            (call_details(call, &Names::new()))
            @if session.role.can_write() { (decision_forms(session, &id, "/console/approvals")) }
        }
    }
}

/// Approve and reject, each one click; `back` is where the browser returns.
pub fn decision_forms(session: &ConsoleSession, id: &str, back: &str) -> Markup {
    html! {
        div.actions {
            form method="post" action=(format!("/console/tool-calls/{id}/approve")) {
                (csrf(session))
                input type="hidden" name="back" value=(back);
                button type="submit" data-testid="approve" { "Approve" }
            }
            form method="post" action=(format!("/console/tool-calls/{id}/reject")) {
                (csrf(session))
                input type="hidden" name="back" value=(back);
                input type="text" name="reason" maxlength="1000" placeholder="Reason (told to the agent)" aria-label="Reason" data-testid="reason";
                button.danger type="submit" data-testid="reject" { "Reject" }
            }
        }
    }
}

/// A call as the transcript and the queue show it: tool, arguments, status, who decided, result.
pub fn call_details(call: &ToolCall, names: &Names) -> Markup {
    html! {
        div.call data-testid="tool-call" data-status=(call.status.as_str()) {
            strong { "Tool call: " (call.tool) } " · " span.status { (call.status.as_str()) }
            @if let Some(url) = &call.url { div { small { "→ " (url) } } }
            // As the API shows them: every detector match masked.
            pre data-testid="arguments" { (mask_all(&call.arguments)) }
            @if let Some(by) = &call.decided_by { div data-testid="decided-by" { "decided by " (person(names, by))
                @if let Some(reason) = &call.reason { ": " (reason) } } }
            @if let Some(result) = &call.result { div { "result:" pre data-testid="result" { (result) } } }
            @if let Some(error) = &call.error { div.failed { "error: " (error) } }
        }
    }
}
