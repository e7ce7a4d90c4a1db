//! `PUT /api/prompts/{promptId}` (leasing): edits the working copy; `versionSnapshot` appears
//! when the edit captured a version.

use colloquy::http::request::{json_body, path_param};
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
    let edit = json_body(request)?;
    let (prompt, version) = prompts::edit_prompt(app, &principal, &prompt_id, edit).await?;
    Ok(response::json(StatusCode::OK, &PromptChange::new("Prompt updated successfully", &prompt, version.as_ref())))
}
