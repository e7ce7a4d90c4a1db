//! `GET /api/v1/usage/`: LLM tokens and calls.

use super::{ok, Reply};
use crate::http::request::query_param;
use crate::http::Request;
use crate::model::Principal;
use crate::App;
use crate::AppError;
use colloquy_domain::usage::{self, GroupBy};

/// From `from` to `to` (days, inclusive; default this month), grouped by `day` or `agent`.
pub async fn report(app: &App, who: &Principal, request: &Request) -> Reply {
    let day = |name: &str| -> Result<_, AppError> {
        let text = query_param(request, name);
        Ok(text.as_deref().map(usage::parse_day).transpose().map_err(|err| err.at(name))?)
    };
    let (from, to) = (day("from")?, day("to")?);
    let group_by = match query_param(request, "groupBy") {
        None => GroupBy::Day,
        Some(text) => usage::parse_group_by(&text).map_err(|err| AppError::from(err.at("groupBy")))?,
    };
    ok(&usage::report(&*app.store, app.clock.now(), who, from, to, group_by).await?)
}
