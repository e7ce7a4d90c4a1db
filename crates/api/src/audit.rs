//! Which routes are audited, what their entries say, and `GET /api/v1/audit-log/`.
//!
//! The route wrapper (`routes::dispatch`, and the console's for its forms) records an entry after
//! an audited route answered with success: no handler can forget it. Every route that changes
//! something is either audited or named in `NOT_AUDITED` with why (a contract test holds it).

use super::{ok, Reply};
use crate::http::request::page_request;
use crate::http::response::ListBody;
use crate::http::{Body, Request, Response};
use crate::model::{timestamp, Principal, WorkspaceId};
use crate::routes::Route;
use crate::App;
use colloquy_domain::audit::{self, AuditEntry, Via};
use colloquy_domain::contacts::WaId;
use serde::Serialize;

/// (method, path pattern, action) of every audited route.
#[rustfmt::skip]
pub const AUDITED: &[(&str, &str, &str)] = &[
    ("PATCH", "/api/v1/workspace/", "workspace.changed"),
    ("POST", "/api/v1/api-keys/", "api_key.created"),
    ("DELETE", "/api/v1/api-keys/{prefix}/", "api_key.revoked"),
    ("POST", "/v1/public/prompts", "prompt.created"),
    ("PUT", "/api/prompts/{promptId}", "prompt.updated"),
    ("POST", "/api/prompts/{promptId}/versions", "prompt.version_saved"),
    ("POST", "/api/prompts/{promptId}/versions/{version}/restore", "prompt.version_restored"),
    ("PUT", "/api/prompts/{promptId}/labels/{label}", "prompt_label.moved"),
    ("DELETE", "/api/prompts/{promptId}/labels/{label}", "prompt_label.removed"),
    ("POST", "/api/v1/test-suites/", "test_suite.created"),
    ("PATCH", "/api/v1/test-suites/{id}/", "test_suite.updated"),
    ("DELETE", "/api/v1/test-suites/{id}/", "test_suite.deleted"),
    ("POST", "/api/v1/test-suites/{id}/runs/", "test_run.started"),
    ("POST", "/api/v1/whatsapp-numbers/", "number.registered"),
    ("DELETE", "/api/v1/whatsapp-numbers/{phoneNumberId}/", "number.removed"),
    ("POST", "/api/v1/tools/", "tool.created"),
    ("PATCH", "/api/v1/tools/{id}/", "tool.updated"),
    ("DELETE", "/api/v1/tools/{id}/", "tool.deleted"),
    ("POST", "/api/v1/agents/", "agent.created"),
    ("PATCH", "/api/v1/agents/{id}/", "agent.updated"),
    ("DELETE", "/api/v1/agents/{id}/", "agent.deleted"),
    ("POST", "/api/v1/policies/", "policy.created"),
    ("PATCH", "/api/v1/policies/{id}/", "policy.updated"),
    ("DELETE", "/api/v1/policies/{id}/", "policy.deleted"),
    ("POST", "/api/v1/conversations/", "conversation.created"),
    ("POST", "/api/v1/conversations/{id}/messages/", "conversation.message_sent"),
    ("POST", "/api/v1/conversations/{id}/prompt/", "conversation.prompted"),
    ("POST", "/api/v1/conversations/{id}/takeover/", "conversation.taken_over"),
    ("POST", "/api/v1/conversations/{id}/handback/", "conversation.handed_back"),
    ("POST", "/api/v1/conversations/{id}/done/", "conversation.done"),
    ("POST", "/api/v1/tool-calls/{id}/approve/", "tool_call.approved"),
    ("POST", "/api/v1/tool-calls/{id}/reject/", "tool_call.rejected"),
    ("POST", "/api/v1/dead-letters/{id}/redrive/", "dead_letter.redriven"),
    ("POST", "/api/v1/event-deliveries/{id}/replay/", "event.replayed"),
    ("GET", "/api/v1/contacts/{waId}/export/", "contact.exported"),
    ("DELETE", "/api/v1/contacts/{waId}/", "contact.erased"),
    ("POST", "/api/v1/knowledge-bases/", "knowledge_base.created"),
    ("PATCH", "/api/v1/knowledge-bases/{id}/", "knowledge_base.updated"),
    ("DELETE", "/api/v1/knowledge-bases/{id}/", "knowledge_base.deleted"),
    ("POST", "/api/v1/knowledge-bases/{id}/documents/", "knowledge_document.added"),
    ("PUT", "/api/v1/knowledge-bases/{id}/documents/{documentId}/", "knowledge_document.replaced"),
    ("DELETE", "/api/v1/knowledge-bases/{id}/documents/{documentId}/", "knowledge_document.deleted"),
    ("POST", "/api/v1/knowledge-bases/{id}/documents/{documentId}/uploaded/", "knowledge_document.uploaded"),
    ("POST", "/console/conversations/{id}/takeover", "conversation.taken_over"),
    ("POST", "/console/conversations/{id}/handback", "conversation.handed_back"),
    ("POST", "/console/conversations/{id}/messages", "conversation.message_sent"),
    ("POST", "/console/conversations/{id}/done", "conversation.done"),
    ("POST", "/console/tool-calls/{id}/approve", "tool_call.approved"),
    ("POST", "/console/tool-calls/{id}/reject", "tool_call.rejected"),
    ("POST", "/console/prompts/{id}/edit", "prompt.updated"),
    ("POST", "/console/prompts/{id}/versions", "prompt.version_saved"),
    ("POST", "/console/prompts/{id}/versions/{version}/restore", "prompt.version_restored"),
    ("POST", "/console/agents/{id}", "agent.updated"),
];

/// Routes that change something and are not audited, and why.
#[rustfmt::skip]
pub const NOT_AUDITED: &[(&str, &str, &str)] = &[
    ("POST", "/webhooks/whatsapp", "Meta's deliveries: contacts' messages, stored as messages"),
    ("POST", "/conversation/{conversationId}/prompt", "a contact's turn sent by a client (Flashback's seed), stored as a message"),
    ("POST", "/api/v1/conversations/{id}/analyze/", "an analysis asked for: its result is stored with the conversation"),
    ("POST", "/console/conversations/{id}/analyze", "an analysis asked for: its result is stored with the conversation"),
    ("POST", "/api/v1/knowledge-bases/{id}/search/", "a search: it changes nothing"),
    ("POST", "/console/sign-in", "a session opened: kept as the session itself"),
    ("POST", "/console/sign-out", "a session closed"),
];

/// The action an audited route records.
pub fn action_of(route: &Route) -> Option<&'static str> {
    AUDITED
        .iter()
        .find(|(method, path, _)| *method == route.method && *path == route.path)
        .map(|(_, _, action)| *action)
}

/// Records the entry of an audited route that answered with success (an error changed nothing).
pub async fn after(
    app: &App,
    route: &Route,
    request: &Request,
    response: &Response<Body>,
    (workspace, key_prefix, via): (&WorkspaceId, &str, Via),
) {
    let Some(action) = action_of(route) else { return };
    if response.status().is_client_error() || response.status().is_server_error() {
        return;
    }
    let target = target(route, request, response);
    let entry = AuditEntry::new(workspace, key_prefix, via, action, target.as_deref(), app.clock.now());
    audit::record(&*app.store, &entry).await;
}

/// The first id in the path (a label's prompt and name, `prm_1 production`); for a create, the
/// id of what was created.
fn target(route: &Route, request: &Request, response: &Response<Body>) -> Option<String> {
    use lambda_http::RequestExt;
    let first = route.path.split('/').find_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')));
    if let Some(name) = first {
        let value = request.path_parameters_ref().and_then(|p| p.first(name))?;
        if route.path.ends_with("/labels/{label}") {
            let label = request.path_parameters_ref().and_then(|p| p.first("label"))?;
            return Some(format!("{value} {label}"));
        }
        // A contact's number outlives their erasure here: its last digits only.
        if name == "waId" {
            return WaId::parse(value).ok().map(|wa_id| wa_id.masked());
        }
        return Some(value.to_owned());
    }
    let Body::Text(text) = response.body() else { return None };
    let created: serde_json::Value = serde_json::from_str(text).ok()?;
    ["id", "prefix", "phoneNumberId", "promptId"]
        .iter()
        .find_map(|field| created.get(*field).and_then(serde_json::Value::as_str).map(str::to_owned))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AuditEntryView {
    id: String,
    at: String,
    action: String,
    target: Option<String>,
    /// The prefix of the key that acted (a console session's too).
    key_prefix: String,
    /// `api` or `console`.
    via: &'static str,
}

/// GET /api/v1/audit-log/ (admin): newest first, a year back.
pub async fn list(app: &App, who: &Principal, request: &Request) -> Reply {
    let page_request = page_request(request)?;
    let page = audit::list(&*app.store, who, &page_request).await?.map(|entry| AuditEntryView {
        id: entry.id,
        at: timestamp::format(entry.at),
        action: entry.action,
        target: entry.target,
        key_prefix: entry.key_prefix,
        via: entry.via.as_str(),
    });
    ok(&ListBody::from_page(page, "/api/v1/audit-log/", page_request.limit, &[]))
}
