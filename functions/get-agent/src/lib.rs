//! GET /api/v1/agents/{id}/

use colloquy::http::request::path_param;
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
    let agent = agents::get_agent(app, &principal, &path_param(request, "id")?).await?;
    Ok(response::json(StatusCode::OK, &AgentView::from(&agent)))
}
