//! `colloquy-say "Hello"`: sends a signed, real-shaped inbound WhatsApp text to the local
//! webhook, as Meta would, so a person can talk to the local agent from a terminal. The reply
//! shows in `scripts/dev`'s output (the WhatsApp stand-in prints what would be sent).
//!
//! Environment: `PORT` (3000), `FROM` (the contact's number, default +15557654321).

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use colloquy::adapters::webhook::sign;
use colloquy_tools::dev::{DEV_CONTACT, DEV_DISPLAY_NUMBER, DEV_PHONE_NUMBER_ID, LOCAL_APP_SECRET};
use serde_json::json;

#[tokio::main]
async fn main() -> ExitCode {
    let text = std::env::args().skip(1).collect::<Vec<_>>().join(" ");
    if text.trim().is_empty() {
        eprintln!("usage: colloquy-say <message text>");
        return ExitCode::from(2);
    }
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
    let from =
        std::env::var("FROM").map(|f| f.trim_start_matches('+').to_owned()).unwrap_or_else(|_| DEV_CONTACT.to_owned());
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let payload = json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "0", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": DEV_DISPLAY_NUMBER.trim_start_matches('+'), "phone_number_id": DEV_PHONE_NUMBER_ID},
            "contacts": [{"profile": {"name": "Local tester"}, "wa_id": from}],
            "messages": [{"from": from, "id": format!("wamid.LOCAL{now}{}", std::process::id()), "timestamp": now.to_string(), "type": "text", "text": {"body": text}}]
        }}]}]
    })
    .to_string();
    let http = match colloquy::adapters::https::client(std::time::Duration::from_secs(30)) {
        Ok(http) => http,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::FAILURE;
        }
    };
    let response = http
        .post(format!("http://127.0.0.1:{port}/webhooks/whatsapp"))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", sign(LOCAL_APP_SECRET, payload.as_bytes()))
        .body(payload)
        .send()
        .await;
    match response {
        Ok(r) if r.status().is_success() => {
            println!("sent as +{from}; the agent's reply appears in the scripts/dev window");
            ExitCode::SUCCESS
        }
        Ok(r) => {
            eprintln!("the webhook answered {}: {}", r.status(), r.text().await.unwrap_or_default());
            ExitCode::FAILURE
        }
        Err(err) => {
            eprintln!("cannot reach the local stack on port {port}: {err} (is scripts/dev running?)");
            ExitCode::FAILURE
        }
    }
}
