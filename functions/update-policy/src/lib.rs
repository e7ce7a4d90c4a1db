//! `PATCH /api/v1/policies/{id}/: changes the fields given.`

use colloquy::http::request::{json_body, path_param};
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
    let policy_id = path_param(request, "id")?;
    let policy = policies::change_policy(app, &principal, &policy_id, json_body(request)?).await?;
    Ok(response::json(StatusCode::OK, &PolicyView::from(&policy)))
}
