//! POST /api/v1/conversations/{id}/done/: marks the conversation done; its follow-ups stop until the contact writes again.

use colloquy::http::request::path_param;
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
    let conversation = conversations::mark_done(app, &principal, &path_param(request, "id")?).await?;
    Ok(response::json(StatusCode::OK, &ConversationView::new(&conversation, app.clock.now())))
}
