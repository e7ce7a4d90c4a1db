//! Meta's webhook for WhatsApp: the `X-Hub-Signature-256` check and the payload, read leniently
//! (every field optional) into the events Colloquy acts on.

use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;

use crate::model::signing;
use crate::model::{Amendment, DeliveryStatus, MediaRef, MessageError, MessageKind};
use colloquy_domain::agents::text as agent_text;
use colloquy_domain::inbound::model::{InboundAmendment, InboundMessage, StatusUpdate, WebhookEvent};
use colloquy_domain::media::model::cut_to_chars;

/// A delivery larger than this is refused before its signature is computed: Meta's are a few
/// kilobytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// What one message may bring into the store. WhatsApp's own limits (4,096 characters of text,
/// 1,024 of a caption) with room to spare; longer text is cut with a marker and stored, because a
/// delivery refused for its size is redelivered by Meta for days and never succeeds.
pub const MAX_TEXT_CHARS: usize = 8192;
const MAX_CAPTION_CHARS: usize = 2048;
const MAX_NAME_CHARS: usize = 256;
/// Ids (wamids, phone number ids, media ids, wa_ids) longer than this are not Meta's: the event
/// is dropped, since it would make keys no store accepts.
const MAX_ID_CHARS: usize = 256;
/// A reaction is one emoji; the longest (flags, families with skin tones) are a few characters.
const MAX_REACTION_CHARS: usize = 16;

/// `text`, cut to `max` characters with a marker saying so.
pub fn bounded(text: &str, max: usize) -> String {
    match cut_to_chars(text, max) {
        (cut, true) => format!("{cut} …[cut: longer than {max} characters]"),
        (whole, false) => whole,
    }
}

fn bounded_opt(text: Option<&str>, max: usize) -> Option<String> {
    text.map(|text| bounded(text, max))
}

fn is_id(text: &str) -> bool {
    !text.is_empty() && text.chars().count() <= MAX_ID_CHARS
}

/// HMAC-SHA256 of the raw body with the app secret, compared in constant time.
pub fn signature_is_valid(app_secret: &str, body: &[u8], header: Option<&str>) -> bool {
    header
        .and_then(|h| h.trim().strip_prefix("sha256="))
        .is_some_and(|hex_signature| signing::hmac_matches(app_secret, body, hex_signature))
}

/// `sha256=<hex>` for a body: what Meta sends, and what the local `say` command signs with.
pub fn sign(app_secret: &str, body: &[u8]) -> String {
    format!("sha256={}", signing::hmac_hex(app_secret, &[body]))
}

#[derive(Debug, Default, Deserialize)]
pub struct Payload {
    #[serde(default)]
    pub entry: Vec<Entry>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Entry {
    #[serde(default)]
    pub changes: Vec<Change>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Change {
    #[serde(default)]
    pub value: ChangeValue,
}

#[derive(Debug, Default, Deserialize)]
pub struct ChangeValue {
    #[serde(default)]
    pub metadata: Metadata,
    #[serde(default)]
    pub contacts: Vec<WireContact>,
    #[serde(default)]
    pub messages: Vec<Value>,
    #[serde(default)]
    pub statuses: Vec<Value>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Metadata {
    #[serde(default)]
    pub phone_number_id: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct WireContact {
    #[serde(default)]
    pub wa_id: String,
    #[serde(default)]
    pub profile: Option<Profile>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Profile {
    #[serde(default)]
    pub name: Option<String>,
}

fn str_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(value, |v, key| v.get(*key)).and_then(Value::as_str)
}

fn timestamp(value: &Value) -> Option<OffsetDateTime> {
    let seconds: i64 = str_at(value, &["timestamp"])?.parse().ok()?;
    OffsetDateTime::from_unix_timestamp(seconds).ok()
}

/// Renders any message type as text for the agent, keeping media by reference.
fn content(message: &Value, kind: &str) -> (String, Option<Box<MediaRef>>) {
    let media_kinds = ["image", "audio", "video", "document", "sticker"];
    match kind {
        "text" => (str_at(message, &["text", "body"]).unwrap_or_default().to_owned(), None),
        "interactive" => (interactive(message.get("interactive").unwrap_or(&Value::Null)), None),
        "system" => {
            let notice = str_at(message, &["system", "body"]).unwrap_or("(a notice from WhatsApp)");
            (agent_text::whatsapp_notice(notice), None)
        }
        "button" => (
            str_at(message, &["button", "text"])
                .or_else(|| str_at(message, &["button", "payload"]))
                .unwrap_or("(button)")
                .to_owned(),
            None,
        ),
        "reaction" => {
            let emoji = str_at(message, &["reaction", "emoji"]).unwrap_or("");
            (agent_text::reacted(emoji), None)
        }
        "location" => {
            let location = message.get("location").cloned().unwrap_or_default();
            let place = [str_at(&location, &["name"]), str_at(&location, &["address"])]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
            let (latitude, longitude) = (location["latitude"].to_string(), location["longitude"].to_string());
            (agent_text::location(&latitude, &longitude, &place), None)
        }
        kind if media_kinds.contains(&kind) => {
            let media = message.get(kind).cloned().unwrap_or_default();
            let caption = bounded_opt(str_at(&media, &["caption"]), MAX_CAPTION_CHARS);
            let text = agent_text::attachment(kind, caption.as_deref());
            let reference = str_at(&media, &["id"]).filter(|id| is_id(id)).map(|id| MediaRef {
                id: id.to_owned(),
                mime_type: bounded_opt(str_at(&media, &["mime_type"]), MAX_NAME_CHARS),
                filename: bounded_opt(str_at(&media, &["filename"]), MAX_NAME_CHARS),
                sha256: bounded_opt(str_at(&media, &["sha256"]), MAX_NAME_CHARS),
                caption,
                voice: media["voice"].as_bool().unwrap_or(false),
                ..MediaRef::default()
            });
            (text, reference.map(Box::new))
        }
        other => (agent_text::unsupported(other), None),
    }
}

/// A button, list or flow answer with what the agent needs to act on it: ids, titles and the
/// flow's response data.
fn interactive(value: &Value) -> String {
    let kind = str_at(value, &["type"]).unwrap_or_default();
    let reply = value.get(kind).unwrap_or(&Value::Null);
    let id = str_at(reply, &["id"]).unwrap_or_default();
    let title = str_at(reply, &["title"]).unwrap_or_default();
    match kind {
        "button_reply" => agent_text::tapped_button(title, id),
        "list_reply" => agent_text::chose_from_list(title, str_at(reply, &["description"]), id),
        "nfm_reply" => {
            let name = str_at(reply, &["name"]).unwrap_or("flow");
            agent_text::completed_form(name, str_at(reply, &["response_json"]).unwrap_or("{}"))
        }
        _ => "(interactive reply)".to_owned(),
    }
}

/// What a reaction, edit or revoke is about, and what it changes.
fn amendment(message: &Value, kind: &str) -> Option<(String, Amendment)> {
    let context = str_at(message, &["context", "id"]);
    match kind {
        "reaction" => {
            let target = str_at(message, &["reaction", "message_id"])?;
            let emoji = str_at(message, &["reaction", "emoji"]).filter(|e| !e.is_empty());
            // More than one emoji is not a reaction WhatsApp sends: nothing is recorded.
            if emoji.is_some_and(|e| e.chars().count() > MAX_REACTION_CHARS) {
                return None;
            }
            Some((target.to_owned(), Amendment::Reaction(emoji.map(str::to_owned))))
        }
        "edit" => {
            let target = str_at(message, &["edit", "original_message_id"]).or(context)?;
            let text = str_at(message, &["edit", "message", "text", "body"])
                .or_else(|| str_at(message, &["edit", "text", "body"]))
                .or_else(|| str_at(message, &["text", "body"]))?;
            Some((target.to_owned(), Amendment::Edited { text: bounded(text, MAX_TEXT_CHARS), blocked_by: None }))
        }
        "revoke" => {
            let target = str_at(message, &["revoke", "original_message_id"]).or(context)?;
            Some((target.to_owned(), Amendment::Revoked))
        }
        _ => None,
    }
}

fn status(value: &Value) -> Option<DeliveryStatus> {
    match str_at(value, &["status"])? {
        "sent" => Some(DeliveryStatus::Sent),
        "delivered" => Some(DeliveryStatus::Delivered),
        "read" => Some(DeliveryStatus::Read),
        "failed" => Some(DeliveryStatus::Failed),
        _ => None,
    }
}

fn status_error(value: &Value) -> Option<MessageError> {
    let error = value.get("errors")?.as_array()?.first()?;
    let message = str_at(error, &["error_data", "details"])
        .or_else(|| str_at(error, &["message"]))
        .or_else(|| str_at(error, &["title"]));
    let message = bounded(message.unwrap_or("no details"), MAX_CAPTION_CHARS);
    Some(MessageError::whatsapp(error.get("code")?.as_i64()?, message))
}

impl Payload {
    /// Every message and status of every change of every entry, in order.
    pub fn events(&self) -> Vec<WebhookEvent> {
        let mut events = Vec::new();
        for value in self.entry.iter().flat_map(|e| &e.changes).map(|c| &c.value) {
            let phone_number_id = value.metadata.phone_number_id.clone();
            for message in &value.messages {
                let (Some(from), Some(wamid)) = (str_at(message, &["from"]), str_at(message, &["id"])) else {
                    continue;
                };
                if ![from, wamid, &phone_number_id].into_iter().all(is_id) {
                    tracing::warn!("a message whose ids are not Meta's (empty or too long); dropped");
                    continue;
                }
                let kind = bounded(str_at(message, &["type"]).unwrap_or("unknown"), 64);
                if let Some((target_wamid, amendment)) = amendment(message, &kind) {
                    if !is_id(&target_wamid) {
                        continue;
                    }
                    events.push(WebhookEvent::Amend(InboundAmendment {
                        phone_number_id: phone_number_id.clone(),
                        from: from.to_owned(),
                        wamid: wamid.to_owned(),
                        target_wamid,
                        amendment,
                    }));
                    continue;
                }
                if kind == "reaction" {
                    // A reaction without a message to attach it to, or not one emoji: nothing.
                    continue;
                }
                let (text, media) = content(message, &kind);
                let contact_name = value
                    .contacts
                    .iter()
                    .find(|c| c.wa_id == from)
                    .and_then(|c| c.profile.as_ref())
                    .and_then(|p| bounded_opt(p.name.as_deref(), MAX_NAME_CHARS));
                events.push(WebhookEvent::Message(InboundMessage {
                    phone_number_id: phone_number_id.clone(),
                    from: from.to_owned(),
                    contact_name,
                    wamid: wamid.to_owned(),
                    sent_at: timestamp(message),
                    kind: MessageKind::from(kind.as_str()),
                    text: bounded(&text, MAX_TEXT_CHARS),
                    media,
                }));
            }
            for update in &value.statuses {
                let (Some(wamid), Some(status)) = (str_at(update, &["id"]).filter(|id| is_id(id)), status(update))
                else {
                    continue;
                };
                events.push(WebhookEvent::Status(StatusUpdate {
                    phone_number_id: phone_number_id.clone(),
                    wamid: wamid.to_owned(),
                    status,
                    error: status_error(update),
                    callback: str_at(update, &["biz_opaque_callback_data"]).map(str::to_owned),
                }));
            }
        }
        events
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_checked_over_the_raw_body() {
        let body = br#"{"entry":[]}"#;
        let header = sign("secret", body);
        assert!(signature_is_valid("secret", body, Some(&header)));
        assert!(!signature_is_valid("other", body, Some(&header)));
        assert!(!signature_is_valid("secret", b"{\"entry\": []}", Some(&header)));
        assert!(!signature_is_valid("secret", body, None));
        assert!(!signature_is_valid("secret", body, Some("sha256=zz")));
        assert!(!signature_is_valid("secret", body, Some(header.trim_start_matches("sha256="))));
    }

    fn delivery(messages: serde_json::Value) -> Vec<WebhookEvent> {
        let payload = serde_json::json!({"entry": [{"changes": [{"value": {
            "metadata": {"phone_number_id": "100"}, "messages": messages
        }}]}]});
        crate::http::request::parse_json::<Payload>(payload.to_string().as_bytes()).expect("payload").events()
    }

    #[test]
    fn text_past_the_limit_is_cut_with_a_marker_and_within_it_kept() {
        let long = "a".repeat(MAX_TEXT_CHARS + 1);
        let exact = "b".repeat(MAX_TEXT_CHARS);
        let events = delivery(serde_json::json!([
            {"from": "49", "id": "wamid.1", "type": "text", "text": {"body": long}},
            {"from": "49", "id": "wamid.2", "type": "text", "text": {"body": exact}},
        ]));
        let texts: Vec<String> = events
            .iter()
            .filter_map(|e| match e {
                WebhookEvent::Message(m) => Some(m.text.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(texts[0], format!("{} …[cut: longer than {MAX_TEXT_CHARS} characters]", "a".repeat(MAX_TEXT_CHARS)));
        assert_eq!(texts[1], exact);
    }

    #[test]
    fn ids_that_are_not_meta_s_and_reactions_of_many_emoji_are_dropped() {
        let long_id = "w".repeat(MAX_ID_CHARS + 1);
        let events = delivery(serde_json::json!([
            {"from": "49", "id": long_id, "type": "text", "text": {"body": "x"}},
            {"from": "49", "id": "", "type": "text", "text": {"body": "x"}},
            {"from": "49", "id": "wamid.R", "type": "reaction", "reaction": {"message_id": "wamid.1", "emoji": "😀".repeat(MAX_REACTION_CHARS + 1)}},
            {"from": "49", "id": "wamid.S", "type": "reaction", "reaction": {"message_id": "wamid.1", "emoji": "😀".repeat(MAX_REACTION_CHARS)}},
            {"from": "49", "id": "w".repeat(MAX_ID_CHARS), "type": "text", "text": {"body": "kept"}},
        ]));
        assert_eq!(events.len(), 2, "{events:?}");
        assert!(
            matches!(&events[0], WebhookEvent::Amend(a) if a.amendment == Amendment::Reaction(Some("😀".repeat(MAX_REACTION_CHARS))))
        );
        assert!(matches!(&events[1], WebhookEvent::Message(m) if m.text == "kept"));
    }

    #[test]
    fn media_keeps_what_meta_said_of_it_and_nothing_it_did_not() {
        let events = delivery(serde_json::json!([
            {"from": "49", "id": "wamid.I", "type": "document", "document": {"id": "77", "mime_type": "application/pdf",
                "filename": "lease.pdf", "sha256": "abc", "caption": "My lease"}},
            {"from": "49", "id": "wamid.J", "type": "audio", "audio": {"id": "78", "voice": true}},
        ]));
        let media: Vec<MediaRef> = events
            .iter()
            .filter_map(|e| match e {
                WebhookEvent::Message(m) => m.media.as_deref().cloned(),
                _ => None,
            })
            .collect();
        assert_eq!(media.len(), 2);
        assert_eq!(
            (media[0].id.as_str(), media[0].mime_type.as_deref(), media[0].filename.as_deref()),
            ("77", Some("application/pdf"), Some("lease.pdf"))
        );
        assert_eq!((media[0].sha256.as_deref(), media[0].caption.as_deref()), (Some("abc"), Some("My lease")));
        assert_eq!((media[1].id.as_str(), media[1].voice), ("78", true));
        assert_eq!(
            (media[1].mime_type.as_deref(), media[1].filename.as_deref(), media[1].caption.as_deref()),
            (None, None, None),
            "nothing made up"
        );
    }

    #[test]
    fn an_edit_carries_its_bounded_text_unchecked_and_a_revoke_its_target() {
        let events = delivery(serde_json::json!([
            {"from": "49", "id": "wamid.E", "type": "edit", "edit": {"original_message_id": "wamid.1", "message": {"text": {"body": "new"}}}},
            {"from": "49", "id": "wamid.V", "type": "revoke", "revoke": {"original_message_id": "wamid.1"}},
        ]));
        let amendments: Vec<(String, Amendment)> = events
            .into_iter()
            .filter_map(|e| match e {
                WebhookEvent::Amend(a) => Some((a.target_wamid, a.amendment)),
                _ => None,
            })
            .collect();
        assert_eq!(
            amendments,
            vec![
                ("wamid.1".to_owned(), Amendment::Edited { text: "new".into(), blocked_by: None }),
                ("wamid.1".to_owned(), Amendment::Revoked),
            ]
        );
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        fn meta_text(from: &str, id: &str, body: &str, kind: &str) -> String {
            serde_json::json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "15550000001", "phone_number_id": "100"},
                "contacts": [{"profile": {"name": body}, "wa_id": from}],
                "messages": [{"from": from, "id": id, "timestamp": body, "type": kind, "text": {"body": body},
                    "interactive": {"type": kind, "button_reply": {"id": id, "title": body}}},
                    {"from": from, "id": id, "timestamp": "1", "type": "image", "image": {"id": id, "caption": body, "mime_type": kind}}],
                "statuses": [{"id": id, "status": kind, "timestamp": body, "recipient_id": from, "errors": [{"code": 131047, "title": body}]}]
            }}]}]})
            .to_string()
        }

        proptest! {
            #[test]
            fn any_bytes_parse_or_fail_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
                if let Ok(payload) = crate::http::request::parse_json::<Payload>(&bytes) {
                    let _ = payload.events();
                }
            }

            #[test]
            fn any_text_in_a_meta_shaped_payload_is_read_without_panicking(
                from in "\\PC{0,20}", id in "\\PC{0,40}", body in "\\PC{0,200}", kind in "text|image|interactive|button|read|failed|\\PC{0,8}",
            ) {
                let payload = crate::http::request::parse_json::<Payload>(meta_text(&from, &id, &body, &kind).as_bytes());
                if let Ok(payload) = payload {
                    let _ = payload.events();
                }
            }
        }
    }
}
