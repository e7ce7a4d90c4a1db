//! `/webhooks/whatsapp`: Meta's subscription handshake (GET) and its signed deliveries of
//! messages and statuses (POST), acknowledged fast; the LLM is never called here.

use http::{header, StatusCode};
use serde_json::json;

use super::Reply;
use futures_util::stream::{self, StreamExt};

use crate::http::error::ApiError;
use crate::http::request::{parse_json, query_param};
use crate::http::{response, Body, Request, Response};
use crate::meta_webhook::{signature_is_valid, Payload, MAX_BODY_BYTES};
use crate::WebhookSecrets;
use crate::{App, AppError};
use colloquy_domain::inbound;
use colloquy_domain::inbound::model::WebhookEvent;

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
        return Err(AppError::Forbidden("hub.mode must be `subscribe` and hub.verify_token must match".into()).into());
    }
    let mut response = Response::new(Body::Text(challenge));
    response.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/plain"));
    Ok(response)
}

/// POST: a bad or missing `X-Hub-Signature-256` is 401 and stores nothing.
pub async fn deliver(app: &App, request: &Request) -> Reply {
    let body: &[u8] = request.body().as_ref();
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge { limit: MAX_BODY_BYTES });
    }
    let signature = request.headers().get("x-hub-signature-256").and_then(|value| value.to_str().ok());
    if !signature_is_valid(&secrets(app)?.app_secret, body, signature) {
        tracing::warn!("webhook with a missing or wrong X-Hub-Signature-256; nothing stored");
        return Err(ApiError::Unauthenticated("X-Hub-Signature-256 is missing or does not match the body".into()));
    }
    let payload: Payload = parse_json(body)?;
    let events = payload.events();
    let count = events.len();
    // Independent conversations at once (bounded); each conversation's events in order.
    let mut groups: Vec<(String, Vec<WebhookEvent>)> = Vec::new();
    for event in events {
        let key = conversation_of(&event);
        match groups.iter_mut().find(|(group, _)| *group == key) {
            Some((_, events)) => events.push(event),
            None => groups.push((key, vec![event])),
        }
    }
    let handled: Vec<Result<(), AppError>> = stream::iter(groups)
        .map(|(_, events)| async move {
            for event in events {
                inbound::handle_event(&app.inbound_ports(), event).await?;
            }
            Ok(())
        })
        .buffer_unordered(CONCURRENT_CONVERSATIONS)
        .collect()
        .await;
    // Meta redelivers the whole delivery on an error; what was stored is not stored twice.
    handled.into_iter().collect::<Result<(), AppError>>()?;
    Ok(response::json(StatusCode::OK, &json!({ "received": count })))
}

/// Conversations of one delivery handled at once.
const CONCURRENT_CONVERSATIONS: usize = 8;

/// Events of one conversation share this key; a status is about one message of ours.
fn conversation_of(event: &WebhookEvent) -> String {
    match event {
        WebhookEvent::Message(message) => format!("{}#{}", message.phone_number_id, message.from),
        WebhookEvent::Amend(amendment) => format!("{}#{}", amendment.phone_number_id, amendment.from),
        WebhookEvent::Status(status) => format!("status#{}", status.wamid),
    }
}
