//! Signing in with an API key once, and out.

use http::StatusCode;
use maud::{html, Markup};

use super::layout::{field_error, page};
use super::web::{self, Form, Refusal};
use crate::http::Request;
use crate::{App, AppError, Reply};
use colloquy_domain::console_sessions;
use colloquy_domain::console_sessions::model::ConsoleSession;

/// GET /console/sign-in
pub async fn form(_app: &App, _request: &Request) -> Reply {
    Ok(web::html(StatusCode::OK, sign_in_page(None)))
}

/// POST /console/sign-in: a key of the workspace opens a session (a cookie) and the inbox.
pub async fn submit(app: &App, request: &Request) -> Reply {
    if let Err(Refusal::Forbidden(message)) = web::same_origin(request) {
        return Err(AppError::Forbidden(message).into());
    }
    let form = Form::of(request)?;
    let key = form.get("key").unwrap_or_default();
    let opened = console_sessions::sign_in(app.store.as_ref(), app.store.as_ref(), app.clock.now(), key).await;
    match opened.map_err(crate::http::error::named) {
        Ok(opened) => Ok(web::with_cookie(web::see_other("/console/"), &web::session_cookie(&opened.secret))),
        Err(AppError::Validation { message, .. }) => {
            Ok(web::html(StatusCode::UNAUTHORIZED, sign_in_page(Some(&message))))
        }
        Err(err) => Err(err.into()),
    }
}

/// POST /console/sign-out: the session ends here and now, whatever copies of the cookie exist.
pub async fn sign_out(app: &App, session: &ConsoleSession, _request: &Request) -> Reply {
    console_sessions::sign_out(app.store.as_ref(), session).await?;
    Ok(web::with_cookie(web::see_other(web::SIGN_IN), &web::cleared_cookie()))
}

fn sign_in_page(error: Option<&str>) -> Markup {
    page(
        "Sign in",
        None,
        None,
        html! {
            form.sign-in method="post" action="/console/sign-in" {
                h1 { "Sign in to Colloquy" }
                p { "Paste an API key of your workspace. Your key's name is shown beside everything you decide here." }
                label for="key" { "API key" }
                input #key type="password" name="key" autocomplete="off" required
                    aria-invalid=[error.map(|_| "true")] data-testid="key";
                (field_error(error))
                p { button type="submit" data-testid="sign-in" { "Sign in" } }
            }
        },
    )
}
