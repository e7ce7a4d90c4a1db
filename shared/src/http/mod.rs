//! HTTP plumbing shared by every API function: authentication, request parsing, and the one
//! place where errors become responses.

pub mod auth;
pub mod request;
pub mod response;
pub mod views;

pub use lambda_http::{Body, Request, Response};
pub use response::respond;

use std::future::Future;

use crate::App;

/// Hands an API handler to the Lambda runtime; the handler never fails, errors are responses.
pub async fn serve<H, F>(app: App, handler: H) -> Result<(), lambda_http::Error>
where
    H: Fn(App, Request) -> F + Send + Sync + 'static,
    F: Future<Output = Response<Body>> + Send,
{
    let handler = &handler;
    let app = &app;
    lambda_http::run(lambda_http::service_fn(move |request| async move {
        Ok::<_, std::convert::Infallible>(handler(app.clone(), request).await)
    }))
    .await
}
