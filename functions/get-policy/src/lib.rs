//! `GET /api/v1/policies/{id}/`

use colloquy::http::request::path_param;
use colloquy::http::views::policies::PolicyView;
use colloquy::http::{auth, respond, response, Body, Request, Response};
use colloquy::usecases::policies;
use colloquy::{App, AppError};
use lambda_http::http::StatusCode;

pub async fn handle(app: App, request: Request) -> Response<Body> {
    respond(run(&app, &request).await)
}

async fn run(app: &App, request: &Request) -> Result<Response<Body>, AppError> {
    let principal = auth::authenticate(app, request).await?;
    let policy = policies::get_policy(app, &principal, &path_param(request, "id")?).await?;
    Ok(response::json(StatusCode::OK, &PolicyView::from(&policy)))
}
