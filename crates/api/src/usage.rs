//! `GET /api/v1/usage/`: LLM tokens and calls.

use super::{ok, Reply};
use crate::http::request::query_param;
use crate::http::Request;
use crate::model::Principal;
use crate::App;
use colloquy_domain::usage;

/// From `from` to `to` (days, inclusive; default this month), grouped by `day` or `agent`.
pub async fn report(app: &App, who: &Principal, request: &Request) -> Reply {
    let (from, to, group_by) =
        (query_param(request, "from"), query_param(request, "to"), query_param(request, "groupBy"));
    ok(&usage::report(&*app.store, app.clock.now(), who, from.as_deref(), to.as_deref(), group_by.as_deref()).await?)
}
