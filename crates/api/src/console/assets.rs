//! The console's static files, compiled into the function: htmx (vendored from the npm
//! registry's `htmx.org` 2.0.7, with its licence beside it) and one stylesheet. Their names
//! carry their version, so browsers may keep them for a year.

use http::{header, HeaderValue, StatusCode};

use super::web;
use crate::http::request::path_param;
use crate::http::{Body, Request, Response};
use crate::{App, AppError, Reply};

pub const HTMX_PATH: &str = "/console/assets/htmx-2.0.7.min.js";
pub const STYLESHEET_PATH: &str = "/console/assets/console-2.css";

const HTMX: &str = include_str!("assets/htmx-2.0.7.min.js");
const STYLESHEET: &str = include_str!("assets/console.css");

/// GET /console/assets/{file}
pub async fn serve(_app: &App, request: &Request) -> Reply {
    let file: String = path_param(request, "file")?;
    let (body, content_type) = match file.as_str() {
        "htmx-2.0.7.min.js" => (HTMX, "text/javascript; charset=utf-8"),
        "console-2.css" => (STYLESHEET, "text/css; charset=utf-8"),
        _ => return Err(AppError::not_found(&format!("console file `{file}`")).into()),
    };
    let mut response = Response::new(Body::Text(body.to_owned()));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    Ok(web::secure(response))
}
