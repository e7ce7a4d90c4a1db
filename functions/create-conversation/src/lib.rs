//! POST /api/v1/conversations/ (Wassist): the conversation with a contact, optionally opened with
//! a template; 201 with the `Conversation`, also when it existed (then switched to the agent).

use colloquy::http::request::json_body;
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
    let created = conversations::create_conversation(app, &principal, json_body(request)?).await?;
    let conversation = &created.conversation;
    tracing::info!(workspace = %principal.workspace_id, conversation = %conversation.id, existed = created.existed, "conversation created");
    Ok(response::json(StatusCode::CREATED, &ConversationView::new(conversation, app.clock.now())))
}
