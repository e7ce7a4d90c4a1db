//! DELETE /api/v1/whatsapp-numbers/{phoneNumberId}/: frees the number; its conversations stay.

use colloquy::http::request::path_param;
use colloquy::http::{auth, respond, response, Body, Request, Response};
use colloquy::usecases::numbers;
use colloquy::{App, AppError};

pub async fn handle(app: App, request: Request) -> Response<Body> {
    respond(run(&app, &request).await)
}

async fn run(app: &App, request: &Request) -> Result<Response<Body>, AppError> {
    let principal = auth::authenticate(app, request).await?;
    numbers::remove_number(app, &principal, &path_param(request, "phoneNumberId")?).await?;
    Ok(response::no_content())
}
