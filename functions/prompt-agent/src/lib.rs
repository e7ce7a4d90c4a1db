//! `POST /api/v1/conversations/{id}/prompt/` (Wassist): an operator's instruction to the agent,
//! which then writes to the contact. 204 once queued; 400 when the conversation is not active.

use colloquy::http::request::{json_body, path_param};
use colloquy::http::{auth, respond, response, Body, Request, Response};
use colloquy::usecases::conversations;
use colloquy::{App, AppError};

pub async fn handle(app: App, request: Request) -> Response<Body> {
    respond(run(&app, &request).await)
}

async fn run(app: &App, request: &Request) -> Result<Response<Body>, AppError> {
    let principal = auth::authenticate(app, request).await?;
    auth::require_write(&principal)?;
    let conversation_id = path_param(request, "id")?;
    conversations::prompt_agent(app, &principal, &conversation_id, json_body(request)?).await?;
    Ok(response::no_content())
}
