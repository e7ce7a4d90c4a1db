//! The operator console: server-rendered pages (maud) with htmx for the parts that update
//! themselves. Pages are rows of the route table like any endpoint; they call the same use cases
//! as the API, as the signed-in key's principal, and re-implement no rule.

pub mod agents;
pub mod approvals;
pub mod assets;
pub mod conversation;
pub mod inbox;
pub mod layout;
pub mod media;
pub mod prompts;
pub mod sign_in;
pub mod usage;
pub mod views;
pub mod web;

use http::StatusCode;

use crate::http::error::ApiError;
use crate::http::response::{public_message, status_of};
use crate::http::{Body, Request, Response};
use crate::model::Role;
use crate::routes::{ConsoleHandler, Route};
use crate::App;
use colloquy_domain::audit::Via;
use colloquy_domain::console_sessions::model::ConsoleSession;
use web::Refusal;

/// Runs a console page behind its guard; what goes wrong is a page too.
pub async fn serve(
    app: &App,
    route: &Route,
    request: &Request,
    needed: Role,
    handler: ConsoleHandler,
) -> Response<Body> {
    match web::guard(app, request, needed).await {
        Ok(session) => match handler(app, &session, request).await {
            Ok(response) => {
                let who = (&session.workspace_id, session.key_prefix.as_str(), Via::Console);
                crate::audit::after(app, route, request, &response, who).await;
                response
            }
            Err(err) => error_response(&err, Some(&session)),
        },
        Err(Refusal::SignIn) if request.method() == http::Method::GET && !is_htmx(request) => {
            web::see_other(web::SIGN_IN)
        }
        Err(Refusal::SignIn) => {
            let page = layout::error_page("Signed out", "Your session has ended; sign in again.", None);
            web::html(StatusCode::UNAUTHORIZED, page)
        }
        Err(Refusal::Forbidden(message)) => {
            web::html(StatusCode::FORBIDDEN, layout::error_page("Not allowed", &message, None))
        }
        Err(Refusal::Failed(err)) => error_response(&err, None),
    }
}

/// An error as a page, with the status the API would answer.
pub fn error_response(err: &ApiError, session: Option<&ConsoleSession>) -> Response<Body> {
    let status = status_of(err);
    let title = match status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::CONFLICT => "Already decided",
        status if status.is_client_error() => "Cannot do that",
        _ => "Something went wrong",
    };
    web::html(status, layout::error_page(title, &public_message(err), session))
}

fn is_htmx(request: &Request) -> bool {
    request.headers().contains_key("hx-request")
}
