//! The frame every console page shares, and the small pieces pages repeat. Markup is `maud`:
//! every value is escaped unless it is `PreEscaped`, which nothing a person or contact wrote is.

use maud::{html, Markup, DOCTYPE};

use super::assets;
use colloquy_domain::console_sessions::model::ConsoleSession;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Inbox,
    Approvals,
    Prompts,
    Agents,
    Usage,
}

/// A whole page: the navigation for a signed-in person, or none (sign-in, errors).
pub fn page(title: &str, session: Option<&ConsoleSession>, section: Option<Section>, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                // No inline styles or eval: the page's policy allows neither.
                meta name="htmx-config" content=r#"{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false}"#;
                title { (title) " · Colloquy" }
                // No favicon request (a 404 in every page's log).
                link rel="icon" href="data:,";
                link rel="stylesheet" href=(assets::STYLESHEET_PATH);
                script src=(assets::HTMX_PATH) defer {}
            }
            body {
                @if let Some(session) = session {
                    header.top {
                        span.brand { "Colloquy" }
                        nav {
                            a href="/console/" aria-current=[current(section, Section::Inbox)] { "Inbox" }
                            a href="/console/approvals" aria-current=[current(section, Section::Approvals)] { "Approvals" }
                            a href="/console/prompts" aria-current=[current(section, Section::Prompts)] { "Prompts" }
                            a href="/console/agents" aria-current=[current(section, Section::Agents)] { "Agents" }
                            a href="/console/usage" aria-current=[current(section, Section::Usage)] { "Usage" }
                        }
                        span.who data-testid="who" { (session.key_name) " · " (session.role.as_str()) }
                        form method="post" action="/console/sign-out" {
                            (csrf(session))
                            button.link type="submit" data-testid="sign-out" { "Sign out" }
                        }
                    }
                }
                main { (content) }
            }
        }
    }
}

fn current(section: Option<Section>, this: Section) -> Option<&'static str> {
    (section == Some(this)).then_some("page")
}

/// The hidden field every state-changing form carries.
pub fn csrf(session: &ConsoleSession) -> Markup {
    html! { input type="hidden" name="csrf" value=(session.csrf_token); }
}

/// A message beside the field it is about.
pub fn field_error(error: Option<&str>) -> Markup {
    html! {
        @if let Some(error) = error {
            p.field-error role="alert" data-testid="field-error" { (error) }
        }
    }
}

/// An error page, for what cannot be shown beside a field.
pub fn error_page(title: &str, message: &str, session: Option<&ConsoleSession>) -> Markup {
    page(
        title,
        session,
        None,
        html! {
            section.error {
                h1 { (title) }
                p data-testid="error-message" { (message) }
                p { a href="/console/" { "Back to the inbox" } }
            }
        },
    )
}
