//! GET /api/v1/conversations/: newest first.

use colloquy::http::request::page_request;
use colloquy::http::response::ListBody;
use colloquy::http::views::wassist::ConversationView;
use colloquy::http::{auth, respond, response, Body, Request, Response};
use colloquy::usecases::conversations;
use colloquy::{App, AppError};
use lambda_http::http::StatusCode;

pub async fn handle(app: App, request: Request) -> Response<Body> {
    respond(run(&app, &request).await)
}

async fn run(app: &App, request: &Request) -> Result<Response<Body>, AppError> {
    let principal = auth::authenticate(app, request).await?;
    let page_request = page_request(request)?;
    let now = app.clock.now();
    let page = conversations::list_conversations(app, &principal, &page_request)
        .await?
        .map(|c| ConversationView::new(&c, now));
    Ok(response::json(StatusCode::OK, &ListBody::from_page(page, "/api/v1/conversations/", page_request.limit, &[])))
}
