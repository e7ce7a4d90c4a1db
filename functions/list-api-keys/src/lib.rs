//! `GET /api/v1/api-keys/`: the workspace's keys, without their secrets (admin only).

use colloquy::http::request::page_request;
use colloquy::http::response::ListBody;
use colloquy::http::views::ApiKeyView;
use colloquy::http::{auth, respond, response, Body, Request, Response};
use colloquy::usecases::api_keys;
use colloquy::{App, AppError};
use lambda_http::http::StatusCode;

pub const PATH: &str = "/api/v1/api-keys/";

pub async fn handle(app: App, request: Request) -> Response<Body> {
    respond(run(&app, &request).await)
}

async fn run(app: &App, request: &Request) -> Result<Response<Body>, AppError> {
    let principal = auth::authenticate(app, request).await?;
    let page_request = page_request(request)?;
    let page = api_keys::list_keys(app, &principal, &page_request).await?;
    let page = page.map(|key| ApiKeyView::from(&key));
    Ok(response::json(StatusCode::OK, &ListBody::from_page(page, PATH, page_request.limit, &[])))
}
