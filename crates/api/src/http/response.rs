//! Responses, and the mapping of errors (`ApiError`, the domain's among them) to HTTP: the only
//! place it happens.

use http::{header, StatusCode};
use lambda_http::{Body, Response};
use serde::Serialize;
use serde_json::json;

use super::error::ApiError;
use crate::model::Page;
use crate::AppError;

pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Response<Body> {
    match serde_json::to_string(value) {
        Ok(text) => with_json_body(status, text),
        Err(err) => error(&AppError::Internal(format!("response did not serialise: {err}")).into()),
    }
}

pub fn no_content() -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

pub fn status_of(err: &ApiError) -> StatusCode {
    let err = match err {
        ApiError::Domain(err) => err,
        ApiError::Unauthenticated(_) => return StatusCode::UNAUTHORIZED,
        ApiError::PayloadTooLarge { .. } => return StatusCode::PAYLOAD_TOO_LARGE,
    };
    match err {
        AppError::Validation { .. } | AppError::Rejected(_) => StatusCode::BAD_REQUEST,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::OverQuota(_) | AppError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
        // Meta said no for good: the request must change. Otherwise Meta failed us.
        AppError::WhatsApp(err) if !err.is_retryable() => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::WhatsApp(_) => StatusCode::BAD_GATEWAY,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn code_of(err: &ApiError) -> &'static str {
    let err = match err {
        ApiError::Domain(err) => err,
        ApiError::Unauthenticated(_) => return "unauthenticated",
        ApiError::PayloadTooLarge { .. } => return "payload_too_large",
    };
    match err {
        AppError::Validation { .. } | AppError::Rejected(_) => "invalid_request",
        AppError::Forbidden(_) => "forbidden",
        AppError::NotFound(_) => "not_found",
        AppError::Conflict(_) => "conflict",
        AppError::OverQuota(_) => "over_quota",
        AppError::RateLimited(_) => "rate_limited",
        AppError::WhatsApp(err) if !err.is_retryable() => "whatsapp_rejected",
        AppError::WhatsApp(_) => "whatsapp_unavailable",
        AppError::Internal(_) => "internal_error",
    }
}

/// The message a caller sees. Internal details are logged, never returned.
pub fn public_message(err: &ApiError) -> String {
    match err {
        ApiError::Domain(AppError::Internal(detail)) => {
            tracing::error!(error = %detail, "request failed");
            "Something went wrong on our side; retry later. If it persists, contact support.".to_owned()
        }
        other => other.to_string(),
    }
}

/// `{"error": {"code", "message", "field"?}}`
pub fn error(err: &ApiError) -> Response<Body> {
    let mut body = json!({ "code": code_of(err), "message": public_message(err) });
    if let ApiError::Domain(AppError::Validation { field: Some(field), .. }) = err {
        body["field"] = json!(field);
    }
    if let Some(code) = meta_code(err) {
        body["metaCode"] = json!(code);
    }
    if let Some(seconds) = retry_after(err) {
        body["retryAfter"] = json!(seconds);
    }
    with_retry_after(with_json_body(status_of(err), json!({ "error": body }).to_string()), err)
}

/// The seconds after which a refused request may be made again (a rate limit's).
fn retry_after(err: &ApiError) -> Option<u32> {
    match err {
        ApiError::Domain(AppError::RateLimited(limited)) => Some(limited.retry_after_seconds),
        _ => None,
    }
}

/// `Retry-After`, for the errors that have one.
fn with_retry_after(mut response: Response<Body>, err: &ApiError) -> Response<Body> {
    if let Some(seconds) = retry_after(err) {
        response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
    }
    response
}

/// Meta's error code, for a caller to look up in Meta's documentation.
fn meta_code(err: &ApiError) -> Option<i64> {
    match err {
        ApiError::Domain(AppError::WhatsApp(graph)) => graph.code(),
        _ => None,
    }
}

/// Flashback's error shape: `{"success": false, "message"}`, with the same statuses.
pub fn seed_error(err: &ApiError) -> Response<Body> {
    let mut body = json!({ "success": false, "message": public_message(err) });
    if let Some(seconds) = retry_after(err) {
        body["retryAfter"] = json!(seconds);
    }
    with_retry_after(with_json_body(status_of(err), body.to_string()), err)
}

pub fn with_json_body(status: StatusCode, text: String) -> Response<Body> {
    let mut response = Response::new(Body::Text(text));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json"));
    response
}

/// A list in the house style: `{count, next, previous, results}`. `count` is the number of
/// results in this page; `next` is the path of the following page, `previous` is always null
/// (cursors only go forward).
#[derive(Serialize)]
pub struct ListBody<T> {
    pub count: usize,
    pub next: Option<String>,
    pub previous: Option<String>,
    pub results: Vec<T>,
}

impl<T> ListBody<T> {
    /// `base_path` is the list's own path; `filters` are query pairs to carry into `next`.
    pub fn from_page(page: Page<T>, base_path: &str, limit: u32, filters: &[(&str, &str)]) -> Self {
        let next = page.next_cursor.map(|cursor| {
            let mut query = format!("limit={limit}&cursor={cursor}");
            for (name, value) in filters {
                query.push_str(&format!("&{name}={}", urlencode(value)));
            }
            format!("{base_path}?{query}")
        });
        Self { count: page.items.len(), next, previous: None, results: page.items }
    }
}

fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}
