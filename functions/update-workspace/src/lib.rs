//! `PATCH /api/v1/workspace/` (admin): the monthly token quota and the webhook for outbound
//! events. A new webhook's signing secret is in this response only.

use colloquy::http::request::json_body;
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
    auth::require_admin(&principal)?;
    let (workspace, new_secret) = workspaces::change_settings(app, &principal, json_body(request)?).await?;
    let mut view = WorkspaceView::new(&workspace, &principal);
    view.webhook_secret = new_secret;
    Ok(response::json(StatusCode::OK, &view))
}
