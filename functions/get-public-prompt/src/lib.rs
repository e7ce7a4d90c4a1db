//! `GET /v1/public/prompts/{prompt_name}` (eigi): the latest version, or `?version=N`.

use colloquy::http::request::{path_param, query_param};
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
    let name = path_param(request, "prompt_name")?;
    let version = query_param(request, "version").map(|text| prompts::parse_version("version", &text)).transpose()?;
    let (prompt, version) = prompts::get_by_name(app, &principal, &name, version).await?;
    Ok(response::json(StatusCode::OK, &EigiPrompt::new(&prompt, &version)))
}
