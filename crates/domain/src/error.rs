//! The one error type of the use cases. The API crate's `http::response` maps it to HTTP in one
//! place; what only HTTP knows (credentials, body sizes) is the API crate's `ApiError`.

use crate::ports::{GraphError, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The input is wrong; `field` names the offending field when there is one. The API makes
    /// these from what it parses; a use case makes only those without a field.
    #[error("{message}")]
    Validation { field: Option<String>, message: String },
    /// The input is well formed but refers to what cannot be (an unknown prompt, a model this
    /// deployment does not allow): the API names the field it came from.
    #[error("{0}")]
    Rejected(Rejection),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// A limit of the workspace is reached (its monthly token quota).
    #[error("{0}")]
    OverQuota(String),
    /// A key, or its workspace, made as many requests this minute as it may.
    #[error("{0}")]
    RateLimited(crate::rate_limits::RateLimited),
    /// WhatsApp refused or failed a send; carries Meta's code.
    #[error("{0}")]
    WhatsApp(GraphError),
    /// Something on our side failed; the detail is logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
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

/// A field's problem; one with no field (`""`) is the whole input's.
impl From<crate::model::input::InvalidField> for AppError {
    fn from(err: crate::model::input::InvalidField) -> Self {
        if err.field.is_empty() {
            return Self::Validation { field: None, message: err.problem };
        }
        let message = format!("{}: {}", err.field, err.problem);
        Self::Validation { field: Some(err.field), message }
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
            StoreError::BadCursor => Self::Rejected(Rejection::Cursor),
            StoreError::Unavailable(detail) | StoreError::Corrupt(detail) => Self::Internal(detail),
        }
    }
}

/// What each area refuses, by what it refers to; the API maps each to the field it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error(transparent)]
    Agent(#[from] crate::agents::AgentRejection),
    #[error(transparent)]
    Conversation(#[from] crate::conversations::ConversationRejection),
    #[error(transparent)]
    Number(#[from] crate::numbers::NumberRejection),
    #[error(transparent)]
    Policy(#[from] crate::policies::PolicyRejection),
    #[error(transparent)]
    Prompt(#[from] crate::prompts::PromptRejection),
    #[error(transparent)]
    SignIn(#[from] crate::console_sessions::SignInRejection),
    #[error(transparent)]
    Usage(#[from] crate::usage::UsageRejection),
    #[error("is not a cursor this API returned")]
    Cursor,
}
