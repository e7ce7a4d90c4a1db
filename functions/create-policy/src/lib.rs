//! `POST /api/v1/policies/: a rule (keywords, patterns, detectors) on input, output or both; log, alert or block.`

use colloquy::http::request::json_body;
use colloquy::http::views::policies::PolicyView;
use colloquy::http::{auth, respond, response, Body, Request, Response};
use colloquy::usecases::policies;
use colloquy::{App, AppError};
use lambda_http::http::StatusCode;

pub async fn handle(app: App, request: Request) -> Response<Body> {
    respond(run(&app, &request).await)
}

async fn run(app: &App, request: &Request) -> Result<Response<Body>, AppError> {
    let principal = auth::authenticate(app, request).await?;
    auth::require_write(&principal)?;
    let policy = policies::create_policy(app, &principal, json_body(request)?).await?;
    Ok(response::json(StatusCode::CREATED, &PolicyView::from(&policy)))
}
