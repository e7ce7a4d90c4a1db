//! `DELETE /api/v1/api-keys/{prefix}/`: revokes a key of the caller's workspace (admin only).

use colloquy::http::request::path_param;
use colloquy::http::{auth, respond, response, Body, Request, Response};
use colloquy::usecases::api_keys;
use colloquy::{App, AppError};

pub async fn handle(app: App, request: Request) -> Response<Body> {
    respond(run(&app, &request).await)
}

async fn run(app: &App, request: &Request) -> Result<Response<Body>, AppError> {
    let principal = auth::authenticate(app, request).await?;
    let prefix = path_param(request, "prefix")?;
    api_keys::revoke_key(app, &principal, &prefix).await?;
    Ok(response::no_content())
}
