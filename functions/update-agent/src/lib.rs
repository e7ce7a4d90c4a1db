//! PATCH /api/v1/agents/{id}/: changes the fields given; `null` clears promptVersion (latest), firstMessage and followUp.

use colloquy::http::request::{json_body, path_param};
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
    let agent_id = path_param(request, "id")?;
    let agent = agents::change_agent(app, &principal, &agent_id, json_body(request)?).await?;
    Ok(response::json(StatusCode::OK, &AgentView::from(&agent)))
}
