//! `GET /api/prompts/{promptId}/versions`: the prompt's versions, newest first.

use colloquy::http::request::{page_request, path_param};
use colloquy::http::response::ListBody;
use colloquy::http::views::prompts::VersionSnapshot;
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
    let page_request = page_request(request)?;
    let (prompt, versions) = prompts::list_versions(app, &principal, &prompt_id, &page_request).await?;
    let path = format!("/api/prompts/{prompt_id}/versions");
    let body = ListBody::from_page(versions.map(|v| VersionSnapshot::new(&v, &prompt)), &path, page_request.limit, &[]);
    Ok(response::json(StatusCode::OK, &body))
}
