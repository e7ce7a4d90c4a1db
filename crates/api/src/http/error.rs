//! What an HTTP request can fail with: what the domain says (`AppError`), or what only HTTP
//! knows — no or a wrong credential, a body too large to read. The domain's error has neither.

use crate::ports::StoreError;
use crate::AppError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Domain(#[from] AppError),
    /// No API key, an unknown one, or a webhook signature that does not match.
    #[error("{0}")]
    Unauthenticated(String),
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        Self::Domain(err.into())
    }
}
