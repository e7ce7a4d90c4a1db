//! `GET /api/v1/workspace/`: the workspace of the calling key, and the key's role.

use colloquy::http::views::WorkspaceView;
use colloquy::http::{auth, respond, response, Body, Request, Response};
use colloquy::usecases::workspaces;
use colloquy::{App, AppError};
use lambda_http::http::StatusCode;

pub async fn handle(app: App, request: Request) -> Response<Body> {
    respond(run(&app, &request).await)
}

async fn run(app: &App, request: &Request) -> Result<Response<Body>, AppError> {
    let principal = auth::authenticate(app, request).await?;
    let workspace = workspaces::current_workspace(app, &principal).await?;
    Ok(response::json(StatusCode::OK, &WorkspaceView::new(&workspace, &principal)))
}
