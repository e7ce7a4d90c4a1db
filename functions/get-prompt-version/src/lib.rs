//! `GET /api/prompts/{promptId}/versions/{version}`: one version in full.

use colloquy::http::request::path_param;
use colloquy::http::views::prompts::VersionDetail;
use colloquy::http::{auth, respond, response, Body, Request, Response};
use colloquy::usecases::prompts;
use colloquy::{App, AppError};
use lambda_http::http::StatusCode;

pub async fn handle(app: App, request: Request) -> Response<Body> {
    respond(run(&app, &request).await)
}

async fn run(app: &App, request: &Request) -> Result<Response<Body>, AppError> {
    let principal = auth::authenticate(app, request).await?;
    let prompt_id = path_param(request, "promptId")?;
    let number = prompts::parse_version("version", &path_param(request, "version")?)?;
    let (prompt, version) = prompts::get_version(app, &principal, &prompt_id, number).await?;
    Ok(response::json(StatusCode::OK, &VersionDetail::new(&version, &prompt)))
}
