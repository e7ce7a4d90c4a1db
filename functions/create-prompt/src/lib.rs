//! `POST /v1/public/prompts` (eigi): a new prompt at version 1, or the next version of the
//! prompt with that name.

use colloquy::http::request::json_body;
use colloquy::http::views::prompts::EigiPrompt;
use colloquy::http::{auth, respond, response, Body, Request, Response};
use colloquy::usecases::prompts;
use colloquy::{App, AppError};
use lambda_http::http::StatusCode;

pub async fn handle(app: App, request: Request) -> Response<Body> {
    respond(run(&app, &request).await)
}

async fn run(app: &App, request: &Request) -> Result<Response<Body>, AppError> {
    let principal = auth::authenticate(app, request).await?;
    auth::require_write(&principal)?;
    let input = json_body(request)?;
    let (prompt, version) = prompts::create_version_by_name(app, &principal, input).await?;
    tracing::info!(workspace = %principal.workspace_id, prompt = %prompt.id, version = version.version, "prompt version created");
    Ok(response::json(StatusCode::CREATED, &EigiPrompt::new(&prompt, &version)))
}
