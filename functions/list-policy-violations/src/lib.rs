//! `GET /api/v1/policy-violations/: newest first, each with its excerpt masked.`

use colloquy::http::request::page_request;
use colloquy::http::response::ListBody;
use colloquy::http::views::policies::ViolationView;
use colloquy::http::{auth, respond, response, Body, Request, Response};
use colloquy::usecases::policies;
use colloquy::{App, AppError};
use lambda_http::http::StatusCode;

pub async fn handle(app: App, request: Request) -> Response<Body> {
    respond(run(&app, &request).await)
}

async fn run(app: &App, request: &Request) -> Result<Response<Body>, AppError> {
    let principal = auth::authenticate(app, request).await?;
    let page_request = page_request(request)?;
    let page = policies::list_violations(app, &principal, &page_request).await?.map(|v| ViolationView::from(&v));
    Ok(response::json(
        StatusCode::OK,
        &ListBody::from_page(page, "/api/v1/policy-violations/", page_request.limit, &[]),
    ))
}
