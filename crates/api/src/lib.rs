//! The HTTP API: one route table (`routes`) and the handlers it names, grouped by resource.
//! A handler receives the authenticated principal; authentication, the role check and the error
//! shape happen once, in `routes::dispatch`.

pub mod agents;
pub mod app;
pub mod audit;
pub mod console;
pub mod contacts;
pub mod conversations;
pub mod dead_letters;
pub mod event_deliveries;
pub mod http;
pub mod keys;
pub mod knowledge;
pub mod meta_webhook;
pub mod numbers;
pub mod policies;
pub mod prompts;
pub mod routes;
pub mod test_suites;
pub mod tools;
pub mod usage;
pub mod user_prompts;
pub mod webhook;
pub mod workspace;

use ::http::StatusCode;
use serde::Serialize;

use crate::http::error::ApiError;
use crate::http::{response, Body, Response};
// The domain's modules by their short names, so a handler reads `colloquy_domain::agents`.
pub use app::{App, Needs, WebhookSecrets};
use colloquy_domain::{model, ports, AppError};

/// What every handler returns: a response, or an error that `routes::dispatch` shapes.
pub type Reply = Result<Response<Body>, ApiError>;

pub(crate) fn ok<T: Serialize>(value: &T) -> Reply {
    Ok(response::json(StatusCode::OK, value))
}

pub(crate) fn created<T: Serialize>(value: &T) -> Reply {
    Ok(response::json(StatusCode::CREATED, value))
}

pub(crate) fn accepted<T: Serialize>(value: &T) -> Reply {
    Ok(response::json(StatusCode::ACCEPTED, value))
}

pub(crate) fn no_content() -> Reply {
    Ok(response::no_content())
}
