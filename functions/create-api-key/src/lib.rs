//! `POST /api/v1/api-keys/`: a new key for the caller's workspace (admin only), shown once.

use colloquy::http::request::json_body;
use colloquy::http::views::CreatedKeyView;
use colloquy::http::{auth, respond, response, Body, Request, Response};
use colloquy::usecases::api_keys;
use colloquy::{App, AppError};
use lambda_http::http::StatusCode;

pub async fn handle(app: App, request: Request) -> Response<Body> {
    respond(run(&app, &request).await)
}

async fn run(app: &App, request: &Request) -> Result<Response<Body>, AppError> {
    let principal = auth::authenticate(app, request).await?;
    auth::require_admin(&principal)?;
    let input = json_body(request)?;
    let issued = api_keys::create_key(app, &principal, input).await?;
    tracing::info!(workspace = %principal.workspace_id, created = %issued.key.prefix, role = %issued.key.role, "API key created");
    Ok(response::json(StatusCode::CREATED, &CreatedKeyView::from(&issued)))
}
