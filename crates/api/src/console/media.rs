//! A message's media through the console itself (same origin, so the page's policy allows no
//! other): a voice note to play, an image's preview, a document to download. Only audio and the
//! JPEG previews Colloquy made are shown inline; anything else is a download, never a page.

use http::{header, HeaderValue, StatusCode};

use super::web;
use crate::http::request::path_param;
use crate::http::{Body, Request, Response};
use crate::model::{ConversationId, MessageId};
use crate::{App, Reply};
use colloquy_domain::console_sessions::model::ConsoleSession;
use colloquy_domain::media::media_links::{self, Rendition};

/// GET /console/conversations/{id}/media/{messageId}?preview=1
pub async fn serve(app: &App, session: &ConsoleSession, request: &Request) -> Reply {
    let (id, message_id): (ConversationId, MessageId) = (path_param(request, "id")?, path_param(request, "messageId")?);
    let preview = crate::http::request::query_param(request, "preview").is_some();
    let rendition = if preview { Rendition::Preview } else { Rendition::Original };
    let media =
        media_links::media_bytes(&*app.store, &*app.media, &session.principal(), &id, &message_id, rendition).await?;
    let (content_type, inline) = match media.mime_type.as_deref() {
        _ if preview => ("image/jpeg".to_owned(), true),
        Some(mime) if mime.starts_with("audio/") && is_token(mime) => (mime.to_owned(), true),
        _ => ("application/octet-stream".to_owned(), false),
    };
    let mut response = Response::new(Body::Binary(media.bytes));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=300"));
    let disposition = if inline { "inline".to_owned() } else { attachment(media.filename.as_deref()) };
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(web::secure(response))
}

/// A MIME type a header can carry as is.
fn is_token(mime: &str) -> bool {
    mime.len() <= 100 && mime.bytes().all(|b| b.is_ascii_alphanumeric() || b"/+-.;= ".contains(&b))
}

/// `attachment; filename="…"` with only safe characters kept.
fn attachment(filename: Option<&str>) -> String {
    let safe: String = filename
        .unwrap_or("document")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "._- ".contains(*c))
        .take(100)
        .collect();
    let safe = if safe.trim().is_empty() { "document".to_owned() } else { safe };
    format!("attachment; filename=\"{safe}\"")
}
