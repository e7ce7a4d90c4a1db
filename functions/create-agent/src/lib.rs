//! POST /api/v1/agents/: an agent from a prompt of the workspace.

use colloquy::http::request::json_body;
use colloquy::http::views::wassist::AgentView;
use colloquy::http::{auth, respond, response, Body, Request, Response};
use colloquy::usecases::agents;
use colloquy::{App, AppError};
use lambda_http::http::StatusCode;

pub async fn handle(app: App, request: Request) -> Response<Body> {
    respond(run(&app, &request).await)
}

async fn run(app: &App, request: &Request) -> Result<Response<Body>, AppError> {
    let principal = auth::authenticate(app, request).await?;
    auth::require_write(&principal)?;
    let agent = agents::create_agent(app, &principal, json_body(request)?).await?;
    Ok(response::json(StatusCode::CREATED, &AgentView::from(&agent)))
}
