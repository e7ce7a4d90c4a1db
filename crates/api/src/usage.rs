//! `GET /api/v1/usage/`: LLM tokens and calls.

use super::{ok, Reply};
use crate::http::request::query_param;
use crate::http::Request;
use crate::model::Principal;
use crate::App;
use colloquy_domain::usage::{self, GroupBy};

/// From `from` to `to` (days, inclusive; default this month), grouped by `day` or `agent`.
pub async fn report(app: &App, who: &Principal, request: &Request) -> Reply {
    let day =
        |name: &str| query_param(request, name).as_deref().map(usage::parse_day).transpose().map_err(|e| e.at(name));
    let (from, to) = (day("from")?, day("to")?);
    let group_by = query_param(request, "groupBy").as_deref().map(usage::parse_group_by).transpose();
    let group_by = group_by.map_err(|e| e.at("groupBy"))?.unwrap_or(GroupBy::Day);
    ok(&usage::report(&*app.store, app.clock.now(), who, from, to, group_by).await?)
}
