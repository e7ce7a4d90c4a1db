//! `POST /api/prompts/{promptId}/versions/{version}/restore`: the old version's content becomes
//! the working copy and a new version; no version is ever overwritten.

use colloquy::http::request::path_param;
use colloquy::http::views::prompts::PromptChange;
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
    let prompt_id = path_param(request, "promptId")?;
    let number = prompts::parse_version("version", &path_param(request, "version")?)?;
    let (prompt, version) = prompts::restore_version(app, &principal, &prompt_id, number).await?;
    Ok(response::json(StatusCode::OK, &PromptChange::new("Prompt restored successfully", &prompt, Some(&version))))
}
