//! Reading requests: JSON bodies whose errors name the field, path and query parameters.

use lambda_http::{Request, RequestExt};
use serde::de::DeserializeOwned;

use crate::http::error::ApiError;
use crate::model::page::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::model::PageRequest;
use crate::AppError;

/// A 400 naming the field the caller sent.
pub fn invalid(field: impl Into<String>, problem: impl Into<String>) -> AppError {
    crate::model::input::InvalidField::new(field, problem).into()
}

/// Bodies above this are refused before parsing; nothing in the API needs more.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

pub fn json_body<T: DeserializeOwned>(request: &Request) -> Result<T, ApiError> {
    let bytes: &[u8] = request.body().as_ref();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge { limit: MAX_BODY_BYTES });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::bad_request("request body is required: send a JSON object").into());
    }
    Ok(parse_json(bytes)?)
}

/// Like `json_body`, but an empty body means the defaults.
pub fn optional_json_body<T: DeserializeOwned + Default>(request: &Request) -> Result<T, ApiError> {
    let bytes: &[u8] = request.body().as_ref();
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    json_body(request)
}

/// Parses JSON so that an error says which field is wrong and how. The body is read as a JSON
/// value first, so that only real syntax errors are reported as such.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|err| AppError::bad_request(format!("request body is not valid JSON: {err}")))?;
    if !value.is_object() {
        return Err(AppError::bad_request("request body must be a JSON object"));
    }
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        let detail = err.into_inner().to_string();
        // A missing field is reported at its parent; serde names it in the message.
        let field = match missing_field(&detail) {
            Some(missing) if path == "." => missing.to_owned(),
            Some(missing) => format!("{path}.{missing}"),
            None if path == "." => return AppError::bad_request(format!("request body: {detail}")),
            None => path,
        };
        crate::http::request::invalid(field, detail)
    })
}

fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.strip_suffix('`')
}

/// A path parameter as the type it names (an id type, or text).
pub fn path_param<T: From<String>>(request: &Request, name: &str) -> Result<T, AppError> {
    request
        .path_parameters_ref()
        .and_then(|params| params.first(name))
        .filter(|value| !value.is_empty())
        .map(|value| T::from(value.to_owned()))
        .ok_or_else(|| crate::http::request::invalid(name, "is required in the path"))
}

pub fn query_param(request: &Request, name: &str) -> Option<String> {
    request.query_string_parameters_ref().and_then(|params| params.first(name)).map(str::to_owned)
}

/// `limit` (1–100, default 20) and `cursor` from the query string.
pub fn page_request(request: &Request) -> Result<PageRequest, AppError> {
    let limit = match query_param(request, "limit") {
        None => DEFAULT_LIMIT,
        Some(text) => match text.parse::<u32>() {
            Ok(limit) if (1..=MAX_LIMIT).contains(&limit) => limit,
            _ => {
                return Err(crate::http::request::invalid(
                    "limit",
                    format!("must be a whole number from 1 to {MAX_LIMIT}"),
                ))
            }
        },
    };
    let cursor = query_param(request, "cursor").filter(|cursor| !cursor.is_empty());
    Ok(PageRequest { limit, cursor })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Input {
        name: String,
        inner: Option<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        count: u32,
    }

    fn field_of(json: &str) -> (Option<String>, String) {
        match parse_json::<Input>(json.as_bytes()) {
            Err(AppError::Validation { field, message }) => (field, message),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(field_of(r#"{}"#).0.as_deref(), Some("name"));
        assert_eq!(field_of(r#"{"name": 5}"#).0.as_deref(), Some("name"));
        assert_eq!(field_of(r#"{"name": "a", "inner": {}}"#).0.as_deref(), Some("inner.count"));
        assert_eq!(field_of(r#"{"name": "a", "inner": {"count": "x"}}"#).0.as_deref(), Some("inner.count"));
        let (field, message) = field_of(r#"{"name": "#);
        assert!(field.is_none() && message.contains("not valid JSON"), "{message}");
        let (_, message) = field_of("[1]");
        assert_eq!(message, "request body must be a JSON object");
    }
}
