//! The console's HTTP: its cookie, its forms, its guard (session, role, CSRF, same origin) and the
//! headers every page carries.

use http::{header, HeaderValue, StatusCode};
use maud::Markup;

use crate::http::error::ApiError;
use crate::http::{Body, Request, Response};
use crate::model::Role;
use crate::{App, AppError};
use colloquy_domain::console_sessions;
use colloquy_domain::console_sessions::model::{ConsoleSession, SESSION_LIFETIME};

pub const COOKIE: &str = "colloquy_session";
pub const SIGN_IN: &str = "/console/sign-in";
/// A form larger than this is not a console form.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// No script but our own, no frames, no other origin: the console needs nothing else.
const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// An HTML page (or fragment) with the console's headers.
pub fn html(status: StatusCode, markup: Markup) -> Response<Body> {
    let mut response = Response::new(Body::Text(markup.into_string()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    secure(response)
}

/// The headers every console answer carries, pages and assets alike.
pub fn secure(mut response: Response<Body>) -> Response<Body> {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// 303 to `location`: after a form, the browser GETs the page again.
pub fn see_other(location: &str) -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    secure(response)
}

/// Where a browser is sent after a form: back to a console page, never elsewhere.
pub fn local_target(target: Option<&str>, fallback: &str) -> String {
    match target {
        Some(path) if path.starts_with("/console/") && !path.contains("//") && !path.contains('\\') => path.to_owned(),
        _ => fallback.to_owned(),
    }
}

pub fn session_cookie(secret: &str) -> String {
    let max_age = SESSION_LIFETIME.whole_seconds();
    format!("{COOKIE}={secret}; Path=/console; Max-Age={max_age}; HttpOnly; Secure; SameSite=Strict")
}

pub fn cleared_cookie() -> String {
    format!("{COOKIE}=; Path=/console; Max-Age=0; HttpOnly; Secure; SameSite=Strict")
}

pub fn with_cookie(mut response: Response<Body>, cookie: &str) -> Response<Body> {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// The session secret from the request's cookies.
pub fn cookie_secret(request: &Request) -> Option<&str> {
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('='))
        .filter(|secret| !secret.is_empty())
}

/// A submitted form's fields (`application/x-www-form-urlencoded`).
pub struct Form(Vec<(String, String)>);

impl Form {
    pub fn of(request: &Request) -> Result<Self, ApiError> {
        let body: &[u8] = request.body().as_ref();
        if body.len() > MAX_FORM_BYTES {
            return Err(ApiError::PayloadTooLarge { limit: MAX_FORM_BYTES });
        }
        Ok(Self(url::form_urlencoded::parse(body).into_owned().collect()))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }
}

/// Why a console request is not served.
pub enum Refusal {
    /// No live session: sign in (again).
    SignIn,
    Forbidden(String),
    Failed(ApiError),
}

/// The live session behind the request, allowed `needed`; a change must also come from a console
/// page of this origin and carry the session's CSRF token.
pub async fn guard(app: &App, request: &Request, needed: Role) -> Result<ConsoleSession, Refusal> {
    let secret = cookie_secret(request).unwrap_or_default();
    let found = console_sessions::current(app.store.as_ref(), app.store.as_ref(), app.clock.now(), secret).await;
    let session = found.map_err(|err| Refusal::Failed(err.into()))?.ok_or(Refusal::SignIn)?;
    crate::http::auth::require(&session.principal(), needed).map_err(|err| Refusal::Forbidden(err.to_string()))?;
    if request.method() != http::Method::GET {
        same_origin(request)?;
        let form = Form::of(request).map_err(Refusal::Failed)?;
        let token = form.get("csrf").or_else(|| header_text(request, "x-csrf-token")).unwrap_or_default();
        if !session.csrf_matches(token) {
            return Err(Refusal::Forbidden(
                "this form is out of date or did not come from the console; reload the page and try again".into(),
            ));
        }
    }
    Ok(session)
}

/// A browser says where a form came from; one from another site is refused (sign-in included,
/// so no page elsewhere can sign a person into someone else's workspace).
pub fn same_origin(request: &Request) -> Result<(), Refusal> {
    let cross_site = header_text(request, "sec-fetch-site").is_some_and(|site| site == "cross-site");
    let host = header_text(request, "host");
    let foreign_origin = match (header_text(request, "origin"), host) {
        (Some(origin), Some(host)) => origin.split_once("://").map(|(_, rest)| rest) != Some(host),
        (Some(_), None) => true,
        (None, _) => false,
    };
    if cross_site || foreign_origin {
        return Err(Refusal::Forbidden("a console form may only be sent from the console itself".into()));
    }
    Ok(())
}

fn header_text<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.headers().get(name).and_then(|value| value.to_str().ok())
}

impl From<AppError> for Refusal {
    fn from(err: AppError) -> Self {
        Refusal::Failed(err.into())
    }
}

#[cfg(test)]
mod tests;
