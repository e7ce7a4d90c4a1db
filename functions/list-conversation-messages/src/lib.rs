//! GET /api/v1/conversations/{id}/messages/: newest first.

use colloquy::http::request::{page_request, path_param};
use colloquy::http::response::ListBody;
use colloquy::http::views::wassist::MessageView;
use colloquy::http::{auth, respond, response, Body, Request, Response};
use colloquy::usecases::conversations;
use colloquy::{App, AppError};
use lambda_http::http::StatusCode;

pub async fn handle(app: App, request: Request) -> Response<Body> {
    respond(run(&app, &request).await)
}

async fn run(app: &App, request: &Request) -> Result<Response<Body>, AppError> {
    let principal = auth::authenticate(app, request).await?;
    let conversation_id = path_param(request, "id")?;
    let page_request = page_request(request)?;
    let page = conversations::list_messages(app, &principal, &conversation_id, &page_request)
        .await?
        .map(|m| MessageView::from(&m));
    let path = format!("/api/v1/conversations/{conversation_id}/messages/");
    Ok(response::json(StatusCode::OK, &ListBody::from_page(page, &path, page_request.limit, &[])))
}
