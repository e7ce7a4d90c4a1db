//! `/webhooks/whatsapp`: Meta's subscription handshake (GET) and its signed deliveries of
//! messages and statuses (POST), acknowledged fast; the LLM is never called here.

use http::{header, StatusCode};
use serde_json::json;

use super::Reply;
use crate::adapters::webhook::{signature_is_valid, Payload};
use crate::http::request::{parse_json, query_param};
use crate::http::{response, Body, Request, Response};
use crate::usecases::inbound;
use crate::{App, AppError, WebhookSecrets};

fn secrets(app: &App) -> Result<&WebhookSecrets, AppError> {
    app.webhook.as_deref().ok_or_else(|| AppError::Internal("webhook secrets are not configured".into()))
}

/// GET: echoes `hub.challenge` when `hub.verify_token` matches.
pub async fn handshake(app: &App, request: &Request) -> Reply {
    let verify_token = &secrets(app)?.verify_token;
    let mode = query_param(request, "hub.mode");
    let token = query_param(request, "hub.verify_token");
    let challenge = query_param(request, "hub.challenge").unwrap_or_default();
    if mode.as_deref() != Some("subscribe") || token.as_deref() != Some(verify_token.as_str()) {
        return Err(AppError::Forbidden("hub.mode must be `subscribe` and hub.verify_token must match".into()));
    }
    let mut response = Response::new(Body::Text(challenge));
    response.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/plain"));
    Ok(response)
}

/// POST: a bad or missing `X-Hub-Signature-256` is 401 and stores nothing.
pub async fn deliver(app: &App, request: &Request) -> Reply {
    let body: &[u8] = request.body().as_ref();
    let signature = request.headers().get("x-hub-signature-256").and_then(|value| value.to_str().ok());
    if !signature_is_valid(&secrets(app)?.app_secret, body, signature) {
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
