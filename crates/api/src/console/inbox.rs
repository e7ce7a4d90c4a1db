//! The inbox: the workspace's conversations, newest activity first, with badges and filters. It
//! polls itself every few seconds; an unchanged inbox answers 204, which htmx leaves alone.

use std::collections::{HashMap, HashSet};

use http::StatusCode;
use maud::{html, Markup};
use time::OffsetDateTime;

use super::layout::{page as frame, Section};
use super::views::{clock, inbox_rows, Badge, Filter};
use super::web;
use crate::http::request::query_param;
use crate::http::{Body, Request, Response};
use crate::model::{AgentId, Conversation, ConversationId, PageRequest};
use crate::{App, Reply};
use colloquy_domain::agents;
use colloquy_domain::console_sessions::model::ConsoleSession;
use colloquy_domain::conversations;
use colloquy_domain::tools::tool_calls;

/// The inbox reads at most this many conversations…
pub const MAX_INBOX: u32 = 1_000;
/// …and lists this many of them, newest activity first (a page stays small: filters and search
/// find the rest).
pub const SHOWN: usize = 100;
const POLL_EVERY: &str = "every 3s";

/// What the inbox is asked for: its filter, a search, and when the person first looked.
struct Query {
    filter: Filter,
    search: String,
    seen: Option<i64>,
    since: Option<String>,
}

impl Query {
    fn of(request: &Request) -> Self {
        Self {
            filter: Filter::parse(query_param(request, "filter").as_deref()),
            search: query_param(request, "q").unwrap_or_default().chars().take(64).collect(),
            seen: query_param(request, "seen").and_then(|s| s.parse().ok()),
            since: query_param(request, "since"),
        }
    }

    fn link(&self, filter: Filter) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("filter", filter.as_str());
        if !self.search.is_empty() {
            query.append_pair("q", &self.search);
        }
        format!("/console/?{}", query.finish())
    }
}

/// What the inbox shows, read once per request.
pub struct Loaded {
    pub conversations: Vec<Conversation>,
    pub awaiting: HashSet<ConversationId>,
    pub agents: HashMap<AgentId, String>,
    /// What the poll compares: the workspace's newest activity, as read before the list.
    pub since: String,
}

/// The poll's marker: the workspace's newest activity and the minute (badges that only time
/// changes — a window closing, a takeover running out — are redrawn within a minute).
fn since(activity: Option<&str>, now: OffsetDateTime) -> String {
    format!("{}|{}", activity.unwrap_or("none"), now.unix_timestamp().div_euclid(60))
}

async fn load(app: &App, session: &ConsoleSession, now: OffsetDateTime) -> Result<Loaded, crate::AppError> {
    let principal = session.principal();
    let since = since(conversations::latest_activity(&*app.store, &principal).await?.as_deref(), now);
    let conversations = conversations::recent(&*app.store, &principal, MAX_INBOX).await?;
    let awaiting = tool_calls::conversations_awaiting(&*app.store, &principal).await?;
    let agents = agents::list_agents(&app.agent_ports(), &principal, &PageRequest { limit: 100, cursor: None }).await?;
    let agents = agents.items.into_iter().map(|agent| (agent.id, agent.name)).collect();
    Ok(Loaded { conversations, awaiting, agents, since })
}

/// GET /console/
pub async fn page(app: &App, session: &ConsoleSession, request: &Request) -> Reply {
    let query = Query::of(request);
    let now = app.clock.now();
    let loaded = load(app, session, now).await?;
    let seen = query.seen.unwrap_or_else(|| now.unix_timestamp());
    let content = html! {
        h1 { "Inbox" }
        form.filters method="get" action="/console/" role="search" {
            @for filter in Filter::ALL {
                a href=(query.link(filter)) aria-current=[(filter == query.filter).then_some("true")]
                    data-testid=(format!("filter-{}", filter.as_str())) { (filter.label()) }
            }
            input type="hidden" name="filter" value=(query.filter.as_str());
            input type="search" name="q" value=(query.search) placeholder="Contact number or name" aria-label="Search by contact";
            button.secondary type="submit" { "Search" }
        }
        (list(&loaded, query.filter, &query.search, seen, now))
    };
    Ok(web::html(StatusCode::OK, frame("Inbox", Some(session), Some(Section::Inbox), content)))
}

/// GET /console/inbox: the list alone, for the poll. While nothing changed since `since` it
/// costs one read of the activity index and answers 204, which htmx leaves alone.
pub async fn fragment(app: &App, session: &ConsoleSession, request: &Request) -> Reply {
    let query = Query::of(request);
    let now = app.clock.now();
    let activity = conversations::latest_activity(&*app.store, &session.principal()).await?;
    if query.since.as_deref() == Some(since(activity.as_deref(), now).as_str()) {
        return Ok(no_change());
    }
    let loaded = load(app, session, now).await?;
    let seen = query.seen.unwrap_or_else(|| now.unix_timestamp());
    Ok(web::html(StatusCode::OK, list(&loaded, query.filter, &query.search, seen, now)))
}

fn no_change() -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NO_CONTENT;
    web::secure(response)
}

/// The list the page shows and the poll replaces (`seen`: when the person first looked, epoch
/// seconds; what changed since is marked new).
pub fn list(loaded: &Loaded, filter: Filter, search: &str, seen: i64, now: OffsetDateTime) -> Markup {
    let rows = inbox_rows(&loaded.conversations, &loaded.awaiting, filter, search, now);
    let mut poll = url::form_urlencoded::Serializer::new(String::new());
    poll.append_pair("filter", filter.as_str())
        .append_pair("q", search)
        .append_pair("seen", &seen.to_string())
        .append_pair("since", &loaded.since);
    html! {
        div #inbox hx-get=(format!("/console/inbox?{}", poll.finish())) hx-trigger=(POLL_EVERY) hx-swap="outerHTML" {
            @if rows.is_empty() {
                p.empty data-testid="inbox-empty" { "No conversations here yet." }
            } @else {
                table.inbox {
                    thead { tr { th { "Contact" } th { "Agent" } th { "Last message" } th { "Activity" } } }
                    tbody {
                        @for (conversation, badges) in rows.iter().take(SHOWN) {
                            (row(conversation, badges, &loaded.agents, seen, now))
                        }
                    }
                }
                @if rows.len() > SHOWN {
                    p.empty data-testid="inbox-more" {
                        "Showing the " (SHOWN) " with the newest activity of " (rows.len()) "; filter or search to find the others."
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;

fn row(
    conversation: &Conversation,
    badges: &[Badge],
    agents: &HashMap<AgentId, String>,
    seen: i64,
    now: OffsetDateTime,
) -> Markup {
    let new = conversation.updated_at.unix_timestamp() > seen;
    let contact = conversation.contact();
    html! {
        tr.new[new] data-testid="inbox-row" data-conversation=(conversation.id) {
            td {
                a href=(format!("/console/conversations/{}", conversation.id)) {
                    @match contact {
                        Some(contact) => {
                            (contact.name.as_deref().unwrap_or(&contact.phone_number))
                            @if contact.name.is_some() { " " small { (contact.phone_number) } }
                        }
                        None => "API conversation",
                    }
                }
                div { @for badge in badges { span class=(badge.class()) data-badge=(badge.label()) { (badge.label()) } } }
            }
            td { (agents.get(&conversation.agent_id).map_or(conversation.agent_id.as_str(), String::as_str)) }
            td.preview { (conversation.last_message.as_deref().unwrap_or("")) }
            td { (clock(conversation.updated_at, now)) }
        }
    }
}
