//! POST /api/v1/conversations/{id}/takeover/: a human takes over for `durationMinutes` (default 10);
//! the bot sends nothing until it expires or is handed back.

use colloquy::http::request::{optional_json_body, path_param};
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
    auth::require_write(&principal)?;
    let conversation_id = path_param(request, "id")?;
    let conversation =
        conversations::take_over(app, &principal, &conversation_id, optional_json_body(request)?).await?;
    Ok(response::json(StatusCode::OK, &ConversationView::new(&conversation, app.clock.now())))
}
