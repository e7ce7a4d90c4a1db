//! `GET /api/prompts`: the workspace's prompts, oldest first; `?name=` keeps those whose name
//! contains it.

use colloquy::http::request::{page_request, query_param};
use colloquy::http::response::ListBody;
use colloquy::http::views::prompts::PromptDocument;
use colloquy::http::{auth, respond, response, Body, Request, Response};
use colloquy::usecases::prompts;
use colloquy::{App, AppError};
use lambda_http::http::StatusCode;

pub const PATH: &str = "/api/prompts";

pub async fn handle(app: App, request: Request) -> Response<Body> {
    respond(run(&app, &request).await)
}

async fn run(app: &App, request: &Request) -> Result<Response<Body>, AppError> {
    let principal = auth::authenticate(app, request).await?;
    let page_request = page_request(request)?;
    let name = query_param(request, "name").filter(|name| !name.is_empty());
    let page = prompts::list_prompts(app, &principal, name.as_deref(), &page_request).await?;
    let filters: Vec<(&str, &str)> = name.as_deref().map(|name| ("name", name)).into_iter().collect();
    let body =
        ListBody::from_page(page.map(|prompt| PromptDocument::from(&prompt)), PATH, page_request.limit, &filters);
    Ok(response::json(StatusCode::OK, &body))
}
