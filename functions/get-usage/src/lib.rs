//! `GET /api/v1/usage/`: LLM tokens and calls from `from` to `to` (days, inclusive; default this
//! month), grouped by `day` or `agent`.

use colloquy::http::request::query_param;
use colloquy::http::{auth, respond, response, Body, Request, Response};
use colloquy::usecases::usage;
use colloquy::{App, AppError};
use lambda_http::http::StatusCode;

pub async fn handle(app: App, request: Request) -> Response<Body> {
    respond(run(&app, &request).await)
}

async fn run(app: &App, request: &Request) -> Result<Response<Body>, AppError> {
    let principal = auth::authenticate(app, request).await?;
    let (from, to, group_by) =
        (query_param(request, "from"), query_param(request, "to"), query_param(request, "groupBy"));
    let report = usage::report(app, &principal, from.as_deref(), to.as_deref(), group_by.as_deref()).await?;
    Ok(response::json(StatusCode::OK, &report))
}
