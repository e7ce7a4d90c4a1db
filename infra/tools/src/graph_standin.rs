//! A local stand-in for the WhatsApp Graph API: records what would be sent, prints it, and
//! answers as Meta does, so the local stack runs without a Meta account.

use std::time::Duration;

use colloquy::adapters::graph::{GraphClient, GraphConfig};
use colloquy::http::{response, Body, Response};
use colloquy::model::ids::new_id;
use lambda_http::http::StatusCode;
use serde_json::{json, Value};

pub const PATH_PREFIX: &str = "/graph/";

/// The Graph client the local stack uses: pointed at this stand-in on the local port.
pub fn client(port: u16) -> Result<GraphClient, String> {
    GraphClient::new(GraphConfig {
        base_url: format!("http://127.0.0.1:{port}/graph"),
        version: colloquy::config::DEFAULT_GRAPH_VERSION.to_owned(),
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

/// `GET /graph/{version}/{phone_number_id}`: what Meta shows of a number to any token.
/// `POST /graph/{version}/{phone_number_id}/messages`: a send.
pub fn answer(path: &str, body: &[u8]) -> Response<Body> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    if let [_, "graph", _version, phone_number_id] = segments.as_slice() {
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
    let wamid = format!("wamid.LOCAL{}", new_id("m").trim_start_matches("m_"));
    response::json(
        StatusCode::OK,
        &json!({"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}], "messages": [{"id": wamid}]}),
    )
}
