//! HTTP plumbing shared by every API function: authentication, request parsing, and the one
//! place where errors become responses.

pub mod auth;
pub mod bodies;
pub mod error;
pub mod request;
pub mod response;
pub mod views;

pub use lambda_http::{Body, Request, Response};
