//! Usage: tokens and LLM calls per day for the last 30 days as a chart drawn on the server
//! (inline SVG, no chart library), and the same days by agent.

use http::StatusCode;
use maud::{html, Markup};
use time::Duration;

use super::layout::{page as frame, Section};
use super::web;
use crate::http::Request;
use crate::{App, Reply};
use colloquy_domain::console_sessions::model::ConsoleSession;
use colloquy_domain::usage::model::{day_of, Tokens};
use colloquy_domain::usage::{self, GroupBy, UsageLine};

/// The chart's days.
pub const DAYS: i64 = 30;
const WIDTH: u64 = 900;
const HEIGHT: u64 = 220;

/// GET /console/usage
pub async fn page(app: &App, session: &ConsoleSession, _request: &Request) -> Reply {
    let principal = session.principal();
    let today = app.clock.now();
    let (first, last) = ((today - Duration::days(DAYS - 1)).date(), today.date());
    let (from, to) = (day_of(today - Duration::days(DAYS - 1)), day_of(today));
    let report = |group_by| usage::report(&*app.store, today, &principal, Some(first), Some(last), group_by);
    let by_day = report(GroupBy::Day).await?;
    let by_agent = report(GroupBy::Agent).await?;
    let days: Vec<String> = (0..DAYS).rev().map(|back| day_of(today - Duration::days(back))).collect();
    let content = html! {
        h1 { "Usage" }
        p { "The last " (DAYS) " days (UTC), " (from) " to " (to) "." }
        (chart(&days, &by_day.results))
        (totals(&by_day.totals))
        h2 { "By agent" }
        table.inbox data-testid="usage-by-agent" {
            thead { tr { th { "Agent" } th { "Input tokens" } th title="Of the input, read from the provider's prompt cache" { "Cached" } th { "Output tokens" } th { "LLM calls" } th { "Analyses" } th { "Transcribed" } } }
            tbody {
                @for line in &by_agent.results {
                    tr {
                        td { (line.agent_id.as_deref().unwrap_or("—")) }
                        (cells(&line.tokens))
                    }
                }
            }
        }
    };
    Ok(web::html(StatusCode::OK, frame("Usage", Some(session), Some(Section::Usage), content)))
}

fn cells(tokens: &Tokens) -> Markup {
    html! {
        td { (tokens.input_tokens) } td { (tokens.cached_input_tokens) } td { (tokens.output_tokens) } td { (tokens.calls) }
        td { (tokens.analysis_calls) } td { (tokens.transcribed_seconds) " s" }
    }
}

fn totals(tokens: &Tokens) -> Markup {
    html! {
        table.inbox data-testid="usage-totals" {
            thead { tr { th { "" } th { "Input tokens" } th title="Of the input, read from the provider's prompt cache" { "Cached" } th { "Output tokens" } th { "LLM calls" } th { "Analyses" } th { "Transcribed" } } }
            tbody { tr { td { "Total" } (cells(tokens)) } }
        }
    }
}

/// One bar per day: input and output tokens stacked, scaled to the busiest day.
pub fn chart(days: &[String], lines: &[UsageLine]) -> Markup {
    let tokens_on = |day: &str| {
        lines.iter().find(|line| line.day.as_deref() == Some(day)).map(|line| line.tokens).unwrap_or_default()
    };
    let per_day: Vec<(String, Tokens)> = days.iter().map(|day| (day.clone(), tokens_on(day))).collect();
    let busiest = per_day.iter().map(|(_, t)| t.input_tokens + t.output_tokens).max().unwrap_or(0).max(1);
    let slot = WIDTH / (days.len().max(1) as u64);
    let bar = slot.saturating_sub(4).max(1);
    let scale = |tokens: u64| tokens * (HEIGHT - 20) / busiest;
    html! {
        svg.chart data-testid="usage-chart" viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img"
            aria-label=(format!("Tokens per day, the busiest day {busiest}")) xmlns="http://www.w3.org/2000/svg" {
            @for (index, (day, tokens)) in per_day.iter().enumerate() {
                @let x = index as u64 * slot + 2;
                @let input = scale(tokens.input_tokens);
                @let output = scale(tokens.output_tokens);
                g data-day=(day) {
                    title { (day) ": " (tokens.input_tokens) " in, " (tokens.output_tokens) " out, " (tokens.calls) " calls" }
                    rect.input x=(x) y=(HEIGHT - input) width=(bar) height=(input) {}
                    rect.output x=(x) y=(HEIGHT - input - output) width=(bar) height=(output) {}
                }
            }
        }
    }
}
