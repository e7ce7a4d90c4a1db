//! The WhatsApp Cloud API (Meta's Graph API): sends, read receipts and media downloads. One
//! client per container.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{json, Value};

use crate::ports::{
    DownloadError, GraphError, MediaInfo, NumberInfo, Outbound, Secret, Sender, TemplateSummary, WhatsApp,
};

/// A download may take longer than an API call (16 MB of audio), and must leave the worker's
/// 60 s time for transcription and the reply.
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(20);

/// Hosts Meta serves media from. The number's token goes only there, or to the configured Graph
/// host itself (a stand-in).
const MEDIA_HOSTS: [&str; 3] = [".fbsbx.com", ".whatsapp.net", ".facebook.com"];

#[derive(Clone)]
pub struct GraphConfig {
    /// `https://graph.facebook.com`, or a stand-in.
    pub base_url: String,
    /// e.g. `v23.0`
    pub version: String,
    pub timeout: Duration,
}

/// Never prints the token.
impl fmt::Debug for GraphConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphConfig")
            .field("base_url", &self.base_url)
            .field("version", &self.version)
            .field("timeout", &self.timeout)
            .finish()
    }
}

#[derive(Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    config: GraphConfig,
}

impl GraphClient {
    pub fn new(config: GraphConfig) -> Result<Self, String> {
        let http = super::https::client_builder(config.timeout)?
            .build()
            .map_err(|err| format!("cannot build the WhatsApp HTTP client: {err}"))?;
        Ok(Self { http, config })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{}/{}", self.config.base_url.trim_end_matches('/'), self.config.version, path)
    }

    /// Whether the number's token may be sent to `url`.
    fn is_media_url(&self, url: &str) -> bool {
        let (Ok(url), Ok(graph)) = (url::Url::parse(url), url::Url::parse(&self.config.base_url)) else {
            return false;
        };
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let meta = url.scheme() == "https" && MEDIA_HOSTS.iter().any(|suffix| host.ends_with(suffix));
        meta || url.origin() == graph.origin()
    }

    async fn post_messages(&self, from: &Sender, body: &Value) -> Result<Value, GraphError> {
        let url = self.url(&format!("{}/messages", from.phone_number_id));
        let request = self.http.post(url).bearer_auth(from.token.expose()).json(body);
        answer(request).await
    }
}

/// Meta's answer as JSON, or its error envelope as a `GraphError`.
async fn answer(request: reqwest::RequestBuilder) -> Result<Value, GraphError> {
    let response = request.send().await.map_err(transport_error)?;
    let status = response.status().as_u16();
    let text = response.text().await.map_err(transport_error)?;
    let parsed: Option<Value> = serde_json::from_str(&text).ok();
    if (200..300).contains(&status) {
        return parsed.ok_or_else(|| GraphError::Api {
            http_status: status,
            code: 0,
            message: "response is not JSON".into(),
        });
    }
    Err(envelope_error(status, parsed.as_ref()))
}

/// Whether the request may have reached Meta decides whether it may be sent again at once: a
/// connection that was never made (refused, DNS, TLS, a connect time-out) sent nothing; a time-out
/// or a broken connection after that may have.
fn transport_error(err: reqwest::Error) -> GraphError {
    if err.is_connect() || err.is_builder() {
        GraphError::Network(err.without_url().to_string())
    } else if err.is_timeout() {
        GraphError::Timeout
    } else {
        GraphError::Unknown(err.without_url().to_string())
    }
}

/// Meta's envelope: `{"error": {"message", "type", "code", "error_data": {"details"}, ...}}`.
fn envelope_error(http_status: u16, body: Option<&Value>) -> GraphError {
    let error = body.map(|body| &body["error"]);
    let code = error.and_then(|e| e["code"].as_i64()).unwrap_or(i64::from(http_status));
    let mut message = error.and_then(|e| e["message"].as_str()).unwrap_or("no error message").to_owned();
    if let Some(details) = error.and_then(|e| e["error_data"]["details"].as_str()) {
        message = format!("{message}: {details}");
    }
    GraphError::Api { http_status, code, message }
}

fn request_body(message: &Outbound) -> Value {
    match message {
        Outbound::Text { to, body, callback } => {
            let mut request = json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": to,
                "type": "text",
                "text": {"preview_url": false, "body": body},
            });
            if let Some(callback) = callback {
                request["biz_opaque_callback_data"] = json!(callback);
            }
            request
        }
        Outbound::Template { to, template } => {
            let mut body = json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": to,
                "type": "template",
                "template": {"name": template.name, "language": {"code": template.language}},
            });
            let components = template.components();
            if !components.is_empty() {
                body["template"]["components"] = Value::Array(components);
            }
            body
        }
    }
}

#[async_trait]
impl WhatsApp for GraphClient {
    async fn send(&self, from: &Sender, message: &Outbound) -> Result<String, GraphError> {
        let answer = self.post_messages(from, &request_body(message)).await?;
        answer["messages"][0]["id"].as_str().map(str::to_owned).ok_or_else(|| GraphError::Api {
            http_status: 200,
            code: 0,
            message: "answer carries no message id".into(),
        })
    }

    async fn mark_read(&self, from: &Sender, wamid: &str) -> Result<(), GraphError> {
        let body = json!({"messaging_product": "whatsapp", "status": "read", "message_id": wamid, "typing_indicator": {"type": "text"}});
        self.post_messages(from, &body).await.map(|_| ())
    }

    async fn number_info(&self, phone_number_id: &str, token: &Secret) -> Result<NumberInfo, GraphError> {
        // The id is digits only (checked before): it cannot change the path.
        let url = self.url(&format!("{phone_number_id}?fields=display_phone_number"));
        let request = self.http.get(url).bearer_auth(token.expose());
        let body = answer(request).await?;
        let display = body["display_phone_number"].as_str().ok_or_else(|| GraphError::Api {
            http_status: 200,
            code: 0,
            message: "answer carries no display_phone_number".into(),
        })?;
        Ok(NumberInfo { display_phone_number: display.to_owned() })
    }

    async fn templates(&self, from: &Sender, waba_id: &str) -> Result<Vec<TemplateSummary>, GraphError> {
        if waba_id.is_empty() || waba_id.len() > 32 || !waba_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(GraphError::Api { http_status: 400, code: 100, message: "not an account id".into() });
        }
        let query = "fields=name,language,status,components&status=APPROVED&limit=100";
        let url = self.url(&format!("{waba_id}/message_templates?{query}"));
        let body = answer(self.http.get(url).bearer_auth(from.token.expose())).await?;
        let listed = body["data"].as_array().map(Vec::as_slice).unwrap_or_default();
        Ok(listed.iter().take(100).filter_map(template_summary).collect())
    }

    async fn media_info(&self, from: &Sender, media_id: &str) -> Result<MediaInfo, GraphError> {
        if media_id.is_empty() || !media_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
            return Err(GraphError::Api { http_status: 400, code: 100, message: "not a media id".into() });
        }
        let url = self.url(&format!("{media_id}?phone_number_id={}", from.phone_number_id));
        let body = answer(self.http.get(url).bearer_auth(from.token.expose())).await?;
        let url = body["url"].as_str().ok_or_else(|| GraphError::Api {
            http_status: 200,
            code: 0,
            message: "answer carries no media url".into(),
        })?;
        Ok(MediaInfo {
            url: url.to_owned(),
            mime_type: body["mime_type"].as_str().map(str::to_owned),
            sha256: body["sha256"].as_str().map(str::to_owned),
            file_size: body["file_size"].as_u64().or_else(|| body["file_size"].as_str().and_then(|s| s.parse().ok())),
        })
    }

    async fn download_media(&self, from: &Sender, url: &str, max_bytes: u64) -> Result<Vec<u8>, DownloadError> {
        if !self.is_media_url(url) {
            let host = url::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_owned));
            return Err(DownloadError::Refused(host.unwrap_or_else(|| "a URL that is not Meta's".into())));
        }
        let request = self.http.get(url).bearer_auth(from.token.expose()).timeout(DOWNLOAD_TIMEOUT);
        let mut response = request.send().await.map_err(transport_error)?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            let text = response.text().await.unwrap_or_default();
            return Err(envelope_error(status, serde_json::from_str(&text).ok().as_ref()).into());
        }
        if response.content_length().is_some_and(|length| length > max_bytes) {
            return Err(DownloadError::TooLarge { limit: max_bytes });
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
            if bytes.len() as u64 + chunk.len() as u64 > max_bytes {
                return Err(DownloadError::TooLarge { limit: max_bytes });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }
}

/// An approved template as Meta lists it; `None` for one that is not approved or has no name.
fn template_summary(listed: &Value) -> Option<TemplateSummary> {
    if listed["status"].as_str().is_some_and(|status| status != "APPROVED") {
        return None;
    }
    let name = listed["name"].as_str().filter(|name| !name.is_empty())?;
    let components = listed["components"].as_array().map(Vec::as_slice).unwrap_or_default();
    let body = components
        .iter()
        .find(|component| component["type"].as_str() == Some("BODY"))
        .and_then(|component| component["text"].as_str())
        .unwrap_or_default();
    Some(TemplateSummary {
        name: name.chars().take(512).collect(),
        language: listed["language"].as_str().unwrap_or("en_US").chars().take(16).collect(),
        body: body.chars().take(1024).collect(),
        variables: placeholders(body),
    })
}

/// How many distinct `{{…}}` placeholders a template's text has.
fn placeholders(text: &str) -> usize {
    let mut seen = std::collections::BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        seen.insert(after[..end].trim());
        rest = &after[end + 2..];
    }
    seen.len()
}

#[cfg(test)]
mod template_tests {
    use super::*;

    #[test]
    fn a_template_s_placeholders_are_counted_once_each_and_only_approved_ones_are_offered() {
        let listed = json!({"name": "appointment_reminder", "language": "en_GB", "status": "APPROVED",
            "components": [{"type": "HEADER", "text": "{{9}}"}, {"type": "BODY", "text": "Hi {{1}}, see you {{2}}. {{1}}!"}]});
        let summary = template_summary(&listed).expect("approved");
        assert_eq!(
            (summary.name.as_str(), summary.language.as_str(), summary.variables),
            ("appointment_reminder", "en_GB", 2)
        );
        assert!(template_summary(&json!({"name": "draft", "status": "REJECTED"})).is_none());
        assert!(template_summary(&json!({"status": "APPROVED"})).is_none(), "a template has a name");
        assert_eq!(placeholders("{{1}} and {{unclosed"), 1);
        assert_eq!(placeholders("no placeholders"), 0);
    }
}
