//! The one error type of the use cases. The API crate's `http::response` maps it to HTTP in one
//! place; what only HTTP knows (credentials, body sizes) is the API crate's `ApiError`.

use crate::ports::{GraphError, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The input is wrong; `field` names the offending field when there is one.
    #[error("{message}")]
    Validation { field: Option<String>, message: String },
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// A limit of the workspace is reached (its monthly token quota).
    #[error("{0}")]
    OverQuota(String),
    /// WhatsApp refused or failed a send; carries Meta's code.
    #[error("{0}")]
    WhatsApp(GraphError),
    /// Something on our side failed; the detail is logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        let message = format!("{field}: {}", message.into());
        Self::Validation { field: Some(field), message }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::Validation { field: None, message: message.into() }
    }

    pub fn not_found(what: &str) -> Self {
        Self::NotFound(format!("{what} not found"))
    }
}

impl From<crate::optimistic::Contended> for AppError {
    fn from(err: crate::optimistic::Contended) -> Self {
        Self::Conflict(err.to_string())
    }
}

impl From<crate::model::input::InvalidField> for AppError {
    fn from(err: crate::model::input::InvalidField) -> Self {
        Self::invalid(err.field, err.problem)
    }
}

impl From<crate::ports::QueueError> for AppError {
    fn from(err: crate::ports::QueueError) -> Self {
        Self::Internal(err.to_string())
    }
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict(what) => Self::Conflict(what),
            StoreError::BadCursor => Self::invalid("cursor", "is not a cursor this API returned"),
            StoreError::Unavailable(detail) | StoreError::Corrupt(detail) => Self::Internal(detail),
        }
    }
}
