//! A local stand-in for the WhatsApp Graph API: records what would be sent, prints it, and
//! answers as Meta does, so the local stack runs without a Meta account. It also serves media:
//! the `events/whatsapp/` fixtures' media ids, and whatever `colloquy-say --image/--voice/
//! --document` uploads.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use colloquy_adapters::graph::{GraphClient, GraphConfig};
use colloquy_api::http::{response, Body, Response};
use colloquy_domain::model::ids::new_id;
use lambda_http::http::StatusCode;
use serde_json::{json, Value};

pub const PATH_PREFIX: &str = "/graph/";

/// The Graph client the local stack uses: pointed at this stand-in on the local port.
pub fn client(port: u16) -> Result<GraphClient, String> {
    GraphClient::new(GraphConfig {
        base_url: format!("http://127.0.0.1:{port}/graph"),
        version: colloquy_adapters::config::DEFAULT_GRAPH_VERSION.to_owned(),
        timeout: Duration::from_secs(5),
    })
}

/// The token the local stack sends with when a number was registered without one of its own.
pub const DEFAULT_TOKEN: &str = "local-stand-in";

/// The display number the stand-in shows for a phone number id: `+1555` and the id's last seven
/// digits (the dev number's id ends in its display number's digits).
pub fn display_number_of(phone_number_id: &str) -> String {
    let digits: String = phone_number_id.chars().filter(char::is_ascii_digit).collect();
    let tail = digits.get(digits.len().saturating_sub(7)..).unwrap_or_default();
    format!("+1555{tail:0>7}")
}

/// Media the stand-in serves, by media id: MIME type and bytes.
type Shelf = Mutex<HashMap<String, (String, Vec<u8>)>>;

fn shelf() -> &'static Shelf {
    static SHELF: OnceLock<Shelf> = OnceLock::new();
    SHELF.get_or_init(Mutex::default)
}

/// Where uploads and fixture media are served from (the download URL `GET /{media-id}` gives).
pub const MEDIA_PATH: &str = "/graph/_local/media";

/// Puts the fixtures' media (`events/whatsapp/media/index.json`: media id → file) on the shelf.
pub fn load_fixture_media(root: &Path) -> Result<usize, String> {
    let folder = root.join("events/whatsapp/media");
    let index = std::fs::read_to_string(folder.join("index.json")).map_err(|err| format!("media index: {err}"))?;
    let index: HashMap<String, String> = serde_json::from_str(&index).map_err(|err| format!("media index: {err}"))?;
    for (id, file) in &index {
        let bytes = std::fs::read(folder.join(file)).map_err(|err| format!("{file}: {err}"))?;
        put(id, mime_of(file), bytes);
    }
    Ok(index.len())
}

/// The MIME type WhatsApp would report for a file, by its extension.
pub fn mime_of(file: &str) -> &'static str {
    match file.rsplit('.').next().map(str::to_ascii_lowercase).as_deref() {
        Some("ogg" | "opus") => "audio/ogg",
        Some("mp3") => "audio/mpeg",
        Some("m4a") => "audio/mp4",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        Some("mp4") => "video/mp4",
        Some("pdf") => "application/pdf",
        _ => "application/octet-stream",
    }
}

fn put(id: &str, mime: &str, bytes: Vec<u8>) {
    if let Ok(mut shelf) = shelf().lock() {
        shelf.insert(id.to_owned(), (mime.to_owned(), bytes));
    }
}

fn shelved(id: &str) -> Option<(String, Vec<u8>)> {
    shelf().lock().ok()?.get(id).cloned()
}

/// `POST /graph/_local/media` (the bytes; `content-type` their type): a new media id.
/// `GET /graph/_local/media/{id}`: the bytes.
fn media(method: &str, path: &str, content_type: &str, body: &[u8]) -> Response<Body> {
    if method == "POST" {
        let id = format!("{}", 9_000_000_000_000_000u64 + u64::from(rand_suffix()));
        put(&id, content_type, body.to_vec());
        println!("[whatsapp stand-in] media {id} uploaded ({} bytes, {content_type})", body.len());
        return response::json(StatusCode::OK, &json!({"id": id}));
    }
    let id = path.trim_end_matches('/').rsplit('/').next().unwrap_or_default();
    match shelved(id) {
        Some((mime, bytes)) => {
            let mut answer = Response::new(Body::from(bytes));
            if let Ok(value) = lambda_http::http::HeaderValue::from_str(&mime) {
                answer.headers_mut().insert(lambda_http::http::header::CONTENT_TYPE, value);
            }
            answer
        }
        None => not_found_media(),
    }
}

fn rand_suffix() -> u32 {
    let hex = colloquy_domain::model::ids::random_hex(4);
    u32::from_str_radix(&hex, 16).unwrap_or(0)
}

fn not_found_media() -> Response<Body> {
    let error = json!({"error": {"message": "Unsupported get request. Object does not exist", "type": "GraphMethodException", "code": 100}});
    response::json(StatusCode::NOT_FOUND, &error)
}

/// `GET /graph/{version}/{id}`: a media id's download URL and checksum, or what Meta shows of a
/// number to any token.
/// `POST /graph/{version}/{phone_number_id}/messages`: a send.
pub fn answer(method: &str, path: &str, content_type: &str, body: &[u8], port: u16) -> Response<Body> {
    if path.starts_with(MEDIA_PATH) {
        return media(method, path, content_type, body);
    }
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    if let [_, "graph", _version, id] = segments.as_slice() {
        if let Some((mime, bytes)) = shelved(id) {
            use sha2::Digest;
            let sha256 = hex::encode(sha2::Sha256::digest(&bytes));
            let url = format!("http://127.0.0.1:{port}{MEDIA_PATH}/{id}");
            return response::json(
                StatusCode::OK,
                &json!({"messaging_product": "whatsapp", "id": id, "url": url, "mime_type": mime, "sha256": sha256, "file_size": bytes.len()}),
            );
        }
        let phone_number_id = id;
        let display = display_number_of(phone_number_id);
        return response::json(StatusCode::OK, &json!({"id": phone_number_id, "display_phone_number": display}));
    }
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        let error = json!({"error": {"message": "(#100) Invalid JSON", "type": "OAuthException", "code": 100}});
        return response::json(StatusCode::BAD_REQUEST, &error);
    };
    let from = path.split('/').nth(3).unwrap_or("?");
    if request["status"] == "read" {
        println!("[whatsapp stand-in] {from}: marked {} as read", request["message_id"]);
        return response::json(StatusCode::OK, &json!({"success": true}));
    }
    let to = request["to"].as_str().unwrap_or("?");
    let what = match request["type"].as_str() {
        Some("text") => format!("text: {}", request["text"]["body"].as_str().unwrap_or_default()),
        Some("template") => format!("template {} {}", request["template"]["name"], request["template"]["components"]),
        other => format!("{other:?}: {request}"),
    };
    println!("[whatsapp stand-in] {from} → +{to}: {what}");
    let wamid = format!("wamid.LOCAL{}", new_id().trim_start_matches("m_"));
    response::json(
        StatusCode::OK,
        &json!({"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}], "messages": [{"id": wamid}]}),
    )
}
