//! `GET /api/prompts/{promptId}`: the prompt document (its working copy).

use colloquy::http::request::path_param;
use colloquy::http::views::prompts::PromptDocument;
use colloquy::http::{auth, respond, response, Body, Request, Response};
use colloquy::usecases::prompts;
use colloquy::{App, AppError};
use lambda_http::http::StatusCode;

pub async fn handle(app: App, request: Request) -> Response<Body> {
    respond(run(&app, &request).await)
}

async fn run(app: &App, request: &Request) -> Result<Response<Body>, AppError> {
    let principal = auth::authenticate(app, request).await?;
    let prompt = prompts::get_prompt(app, &principal, &path_param(request, "promptId")?).await?;
    Ok(response::json(StatusCode::OK, &PromptDocument::from(&prompt)))
}
