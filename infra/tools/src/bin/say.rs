//! `colloquy-say "Hello"`: sends a signed, real-shaped inbound WhatsApp text to the local
//! webhook, as Meta would, so a person can talk to the local agent from a terminal. The reply
//! shows in `scripts/dev`'s output (the WhatsApp stand-in prints what would be sent).
//!
//! `colloquy-say --image PATH [caption]`, `--voice PATH`, `--document PATH [caption]`: uploads
//! the file to the local Graph stand-in and sends it as media, with its checksum, as Meta does.
//!
//! Environment: `PORT` (3000), `FROM` (the contact's number, default +15557654321).

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use colloquy::adapters::webhook::sign;
use colloquy_tools::dev::{DEV_CONTACT, DEV_DISPLAY_NUMBER, DEV_PHONE_NUMBER_ID, LOCAL_APP_SECRET};
use serde_json::json;

const USAGE: &str =
    "usage: colloquy-say <message text> | --image PATH [caption] | --voice PATH | --document PATH [caption]";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
    let http = match colloquy::adapters::https::client(std::time::Duration::from_secs(30)) {
        Ok(http) => http,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::FAILURE;
        }
    };
    let message = match args.first().map(String::as_str) {
        Some(flag @ ("--image" | "--voice" | "--document")) => {
            let Some(file) = args.get(1) else {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            };
            let caption = args.get(2..).map(|rest| rest.join(" ")).filter(|c| !c.trim().is_empty());
            match media_message(&http, &port, flag, file, caption).await {
                Ok(message) => message,
                Err(err) => {
                    eprintln!("{err}");
                    return ExitCode::FAILURE;
                }
            }
        }
        _ => {
            let text = args.join(" ");
            if text.trim().is_empty() {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
            json!({"type": "text", "text": {"body": text}})
        }
    };
    let from =
        std::env::var("FROM").map(|f| f.trim_start_matches('+').to_owned()).unwrap_or_else(|_| DEV_CONTACT.to_owned());
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let mut message = message;
    message["from"] = json!(from);
    message["id"] = json!(format!("wamid.LOCAL{now}{}", std::process::id()));
    message["timestamp"] = json!(now.to_string());
    let payload = json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "0", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": DEV_DISPLAY_NUMBER.trim_start_matches('+'), "phone_number_id": DEV_PHONE_NUMBER_ID},
            "contacts": [{"profile": {"name": "Local tester"}, "wa_id": from}],
            "messages": [message]
        }}]}]
    })
    .to_string();
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

/// Uploads the file to the Graph stand-in; the media message Meta would deliver for it.
async fn media_message(
    http: &reqwest::Client,
    port: &str,
    flag: &str,
    file: &str,
    caption: Option<String>,
) -> Result<serde_json::Value, String> {
    use sha2::Digest;
    let bytes = std::fs::read(file).map_err(|err| format!("{file}: {err}"))?;
    let mime = colloquy_tools::graph_standin::mime_of(file);
    let sha256 = hex::encode(sha2::Sha256::digest(&bytes));
    let uploaded = http
        .post(format!("http://127.0.0.1:{port}{}", colloquy_tools::graph_standin::MEDIA_PATH))
        .header("content-type", mime)
        .body(bytes)
        .send()
        .await
        .map_err(|err| format!("cannot reach the local stack on port {port}: {err} (is scripts/dev running?)"))?;
    let answer: serde_json::Value = uploaded.json().await.map_err(|err| format!("upload: {err}"))?;
    let id = answer["id"].as_str().ok_or("the stand-in gave no media id")?;
    let name = std::path::Path::new(file).file_name().and_then(|n| n.to_str()).unwrap_or("file");
    Ok(match flag {
        "--voice" => {
            let mime = if mime == "audio/ogg" { "audio/ogg; codecs=opus" } else { mime };
            json!({"type": "audio", "audio": {"id": id, "mime_type": mime, "sha256": sha256, "voice": true}})
        }
        "--image" => {
            json!({"type": "image", "image": {"id": id, "mime_type": mime, "sha256": sha256, "caption": caption}})
        }
        _ => {
            json!({"type": "document", "document": {"id": id, "mime_type": mime, "sha256": sha256, "filename": name, "caption": caption}})
        }
    })
}
