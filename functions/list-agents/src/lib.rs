//! GET /api/v1/agents/: the workspace's agents, oldest first.

use colloquy::http::request::page_request;
use colloquy::http::response::ListBody;
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
    let page_request = page_request(request)?;
    let page = agents::list_agents(app, &principal, &page_request).await?.map(|a| AgentView::from(&a));
    Ok(response::json(StatusCode::OK, &ListBody::from_page(page, "/api/v1/agents/", page_request.limit, &[])))
}
