//! Every API route, matched to the handler its Lambda runs. `tests` checks this table against
//! the template's routes, the `events/` fixtures and the OpenAPI document.

use std::future::Future;
use std::pin::Pin;

use colloquy::http::{Body, Request, Response};
use colloquy::App;

pub type HandlerFuture = Pin<Box<dyn Future<Output = Response<Body>> + Send>>;
pub type Handler = fn(App, Request) -> HandlerFuture;

pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    /// The function (cargo binary) that serves this route on Lambda.
    pub function: &'static str,
    pub handler: Handler,
}

macro_rules! route {
    ($method:literal, $path:literal, $function:literal, $handler:path) => {
        Route {
            method: $method,
            path: $path,
            function: $function,
            handler: |app, request| Box::pin($handler(app, request)),
        }
    };
}

pub fn routes() -> Vec<Route> {
    vec![
        route!("GET", "/api/v1/workspace/", "get-workspace", get_workspace::handle),
        route!("PATCH", "/api/v1/workspace/", "update-workspace", update_workspace::handle),
        route!("POST", "/api/v1/policies/", "create-policy", create_policy::handle),
        route!("GET", "/api/v1/policies/", "list-policies", list_policies::handle),
        route!("GET", "/api/v1/policies/{id}/", "get-policy", get_policy::handle),
        route!("PATCH", "/api/v1/policies/{id}/", "update-policy", update_policy::handle),
        route!("DELETE", "/api/v1/policies/{id}/", "delete-policy", delete_policy::handle),
        route!("GET", "/api/v1/policy-violations/", "list-policy-violations", list_policy_violations::handle),
        route!("GET", "/api/v1/usage/", "get-usage", get_usage::handle),
        route!("POST", "/conversation/{conversationId}/prompt", "send-prompt", send_prompt::handle),
        route!("GET", "/webhooks/whatsapp", "whatsapp-webhook", whatsapp_webhook::handle),
        route!("POST", "/webhooks/whatsapp", "whatsapp-webhook", whatsapp_webhook::handle),
        route!("POST", "/api/v1/api-keys/", "create-api-key", create_api_key::handle),
        route!("GET", "/api/v1/api-keys/", "list-api-keys", list_api_keys::handle),
        route!("DELETE", "/api/v1/api-keys/{prefix}/", "revoke-api-key", revoke_api_key::handle),
        route!("POST", "/v1/public/prompts", "create-prompt", create_prompt::handle),
        route!("POST", "/api/v1/whatsapp-numbers/", "register-whatsapp-number", register_whatsapp_number::handle),
        route!("GET", "/api/v1/whatsapp-numbers/", "list-whatsapp-numbers", list_whatsapp_numbers::handle),
        route!(
            "DELETE",
            "/api/v1/whatsapp-numbers/{phoneNumberId}/",
            "remove-whatsapp-number",
            remove_whatsapp_number::handle
        ),
        route!("POST", "/api/v1/agents/", "create-agent", create_agent::handle),
        route!("GET", "/api/v1/agents/", "list-agents", list_agents::handle),
        route!("GET", "/api/v1/agents/{id}/", "get-agent", get_agent::handle),
        route!("PATCH", "/api/v1/agents/{id}/", "update-agent", update_agent::handle),
        route!("DELETE", "/api/v1/agents/{id}/", "delete-agent", delete_agent::handle),
        route!("POST", "/api/v1/conversations/", "create-conversation", create_conversation::handle),
        route!("GET", "/api/v1/conversations/", "list-conversations", list_conversations::handle),
        route!("GET", "/api/v1/conversations/{id}/", "get-conversation", get_conversation::handle),
        route!(
            "GET",
            "/api/v1/conversations/{id}/messages/",
            "list-conversation-messages",
            list_conversation_messages::handle
        ),
        route!("POST", "/api/v1/conversations/{id}/prompt/", "prompt-agent", prompt_agent::handle),
        route!("POST", "/api/v1/conversations/{id}/takeover/", "takeover-conversation", takeover_conversation::handle),
        route!("POST", "/api/v1/conversations/{id}/done/", "done-conversation", done_conversation::handle),
        route!("POST", "/api/v1/conversations/{id}/handback/", "handback-conversation", handback_conversation::handle),
        route!("GET", "/v1/public/prompts/{prompt_name}", "get-public-prompt", get_public_prompt::handle),
        route!("GET", "/api/prompts", "list-prompts", list_prompts::handle),
        route!("GET", "/api/prompts/{promptId}", "get-prompt", get_prompt::handle),
        route!("PUT", "/api/prompts/{promptId}", "update-prompt", update_prompt::handle),
        route!("GET", "/api/prompts/{promptId}/versions", "list-prompt-versions", list_prompt_versions::handle),
        route!("GET", "/api/prompts/{promptId}/versions/{version}", "get-prompt-version", get_prompt_version::handle),
        route!(
            "POST",
            "/api/prompts/{promptId}/versions/{version}/restore",
            "restore-prompt-version",
            restore_prompt_version::handle
        ),
    ]
}

/// The route for `method path`, with its path parameters.
pub fn find<'a>(routes: &'a [Route], method: &str, path: &str) -> Option<(&'a Route, Vec<(String, String)>)> {
    routes.iter().filter(|route| route.method == method).find_map(|route| Some((route, match_path(route.path, path)?)))
}

fn match_path(pattern: &str, path: &str) -> Option<Vec<(String, String)>> {
    let pattern: Vec<&str> = pattern.split('/').collect();
    let actual: Vec<&str> = path.split('/').collect();
    if pattern.len() != actual.len() {
        return None;
    }
    let mut params = Vec::new();
    for (expected, got) in pattern.iter().zip(&actual) {
        match expected.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(name) if !got.is_empty() => params.push((name.to_owned(), percent_decode(got))),
            Some(_) => return None,
            None if expected == got => {}
            None => return None,
        }
    }
    Some(params)
}

fn percent_decode(segment: &str) -> String {
    form_urlencoded::parse(format!("x={}", segment.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_else(|| segment.to_owned())
}
