//! `GET /webhooks/whatsapp`: Meta's subscription handshake. `POST /webhooks/whatsapp`: signed
//! deliveries of messages and statuses, acknowledged fast; the LLM is never called here.

use colloquy::adapters::webhook::{signature_is_valid, Payload};
use colloquy::http::request::{parse_json, query_param};
use colloquy::http::{respond, response, Body, Request, Response};
use colloquy::usecases::inbound;
use colloquy::{App, AppError};
use lambda_http::http::{header, Method, StatusCode};
use serde_json::json;

pub async fn handle(app: App, request: Request) -> Response<Body> {
    respond(run(&app, &request).await)
}

async fn run(app: &App, request: &Request) -> Result<Response<Body>, AppError> {
    let secrets = app.webhook.clone().ok_or_else(|| AppError::Internal("webhook secrets are not configured".into()))?;
    if request.method() == Method::GET {
        return handshake(request, &secrets.verify_token);
    }
    let body: &[u8] = request.body().as_ref();
    let signature = request.headers().get("x-hub-signature-256").and_then(|value| value.to_str().ok());
    if !signature_is_valid(&secrets.app_secret, body, signature) {
        tracing::warn!("webhook with a missing or wrong X-Hub-Signature-256; nothing stored");
        return Err(AppError::Unauthenticated("X-Hub-Signature-256 is missing or does not match the body".into()));
    }
    let payload: Payload = parse_json(body)?;
    let events = payload.events();
    let count = events.len();
    for event in events {
        inbound::handle_event(app, &app.numbers, event).await?;
    }
    Ok(response::json(StatusCode::OK, &json!({ "received": count })))
}

fn handshake(request: &Request, verify_token: &str) -> Result<Response<Body>, AppError> {
    let mode = query_param(request, "hub.mode");
    let token = query_param(request, "hub.verify_token");
    let challenge = query_param(request, "hub.challenge").unwrap_or_default();
    if mode.as_deref() != Some("subscribe") || token.as_deref() != Some(verify_token) {
        return Err(AppError::Forbidden("hub.mode must be `subscribe` and hub.verify_token must match".into()));
    }
    let mut response = Response::new(Body::Text(challenge));
    response.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/plain"));
    Ok(response)
}
