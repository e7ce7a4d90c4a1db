//! `colloquy-say "Hello"`: sends a signed, real-shaped inbound WhatsApp text to the local
//! webhook, as Meta would, so a person can talk to the local agent from a terminal. The reply
//! shows in `scripts/dev`'s output (the WhatsApp stand-in prints what would be sent).
//!
//! `colloquy-say --image PATH [caption]`, `--voice PATH`, `--document PATH [caption]`: uploads
//! the file to the local Graph stand-in and sends it as media, with its checksum, as Meta does.
//!
//! Environment: `PORT` (3000), `FROM` (the contact's number, default +15557654321).

use std::io::Write;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use colloquy_api::meta_webhook::sign;
use colloquy_tools::dev::{DEV_CONTACT, DEV_DISPLAY_NUMBER, DEV_PHONE_NUMBER_ID, LOCAL_APP_SECRET};
use serde_json::json;

use colloquy_tools::say_args::{self, MediaKind, Say};

#[tokio::main]
async fn main() -> ExitCode {
    let say = match say_args::parse(std::env::args_os().skip(1)) {
        Ok(Say::Help) => {
            // A closed pipe (`| head`) is not an error worth a panic.
            let _ = writeln!(std::io::stdout(), "{}", say_args::USAGE);
            return ExitCode::SUCCESS;
        }
        Ok(say) => say,
        Err(why) => {
            eprintln!("colloquy-say: {why}\n\n{}", say_args::USAGE);
            return ExitCode::from(2);
        }
    };
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
    let http = match colloquy_adapters::https::client(std::time::Duration::from_secs(30)) {
        Ok(http) => http,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::FAILURE;
        }
    };
    let message = match say {
        Say::Media { kind, path, caption } => match media_message(&http, &port, kind, &path, caption).await {
            Ok(message) => message,
            Err(err) => {
                eprintln!("{err}");
                return ExitCode::FAILURE;
            }
        },
        Say::Text(text) => json!({"type": "text", "text": {"body": text}}),
        Say::Help => return ExitCode::SUCCESS,
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
    kind: MediaKind,
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
    Ok(match kind {
        MediaKind::Voice => {
            let mime = if mime == "audio/ogg" { "audio/ogg; codecs=opus" } else { mime };
            json!({"type": "audio", "audio": {"id": id, "mime_type": mime, "sha256": sha256, "voice": true}})
        }
        MediaKind::Image => {
            json!({"type": "image", "image": {"id": id, "mime_type": mime, "sha256": sha256, "caption": caption}})
        }
        MediaKind::Document => {
            json!({"type": "document", "document": {"id": id, "mime_type": mime, "sha256": sha256, "filename": name, "caption": caption}})
        }
    })
}
