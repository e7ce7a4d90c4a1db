//! The route table: every HTTP route is one row naming its method, path, Lambda function, who may
//! call it, what the function needs built, and its handler. The Lambda entry points, the local
//! router and the contract tests (template, fixtures, OpenAPI) all read this table.

use std::future::Future;
use std::pin::Pin;

use super::{
    agents, conversations, flashback, keys, numbers, policies, prompts, tools, usage, webhook, workspace, Reply,
};
use crate::app::Needs;
use crate::http::{auth, response, Body, Request, Response};
use crate::model::{Principal, Role};
use crate::App;

pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Reply> + Send + 'a>>;
/// A handler behind an API key: it receives the authenticated principal.
pub type KeyedHandler = for<'a> fn(&'a App, &'a Principal, &'a Request) -> HandlerFuture<'a>;
/// A handler that authenticates its caller itself (Meta's signed webhook).
pub type PublicHandler = for<'a> fn(&'a App, &'a Request) -> HandlerFuture<'a>;

#[derive(Clone, Copy)]
pub enum Access {
    /// No API key; the handler checks the caller (the webhook's signature).
    Public(PublicHandler),
    /// An API key with at least this role.
    Key(Role, KeyedHandler),
}

/// How errors look: the house shape, or a seed's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorShape {
    /// `{"error": {"code", "message", "field"?}}`
    House,
    /// Flashback's `{"success": false, "message"}`.
    Flashback,
}

pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    /// The Lambda function (cargo binary) that serves this route.
    pub function: &'static str,
    pub access: Access,
    /// The clients the function builds besides the table.
    pub needs: Needs,
    pub errors: ErrorShape,
}

impl Route {
    /// The role a key needs, or `None` for a public route.
    pub fn role(&self) -> Option<Role> {
        match self.access {
            Access::Public(_) => None,
            Access::Key(role, _) => Some(role),
        }
    }
}

macro_rules! route {
    ($method:literal $path:literal => $function:literal, public, $needs:expr, $handler:path) => {
        Route {
            method: $method,
            path: $path,
            function: $function,
            access: Access::Public(|app, request| Box::pin($handler(app, request))),
            needs: $needs,
            errors: ErrorShape::House,
        }
    };
    ($method:literal $path:literal => $function:literal, $role:ident, $needs:expr, $handler:path) => {
        route!($method $path => $function, $role, $needs, $handler, ErrorShape::House)
    };
    ($method:literal $path:literal => $function:literal, $role:ident, $needs:expr, $handler:path, $errors:expr) => {
        Route {
            method: $method,
            path: $path,
            function: $function,
            access: Access::Key(role!($role), |app, who, request| Box::pin($handler(app, who, request))),
            needs: $needs,
            errors: $errors,
        }
    };
}

macro_rules! role {
    (read) => {
        Role::Read
    };
    (write) => {
        Role::Write
    };
    (admin) => {
        Role::Admin
    };
}

const TABLE: Needs = Needs::TABLE;
const QUEUE: Needs = Needs::TABLE.with_queue();
const GRAPH: Needs = Needs::TABLE.with_whatsapp();
const MEDIA: Needs = Needs::TABLE.with_media();
const WEBHOOK: Needs = Needs::TABLE.with_queue().with_webhook_secrets();

#[rustfmt::skip]
pub static ROUTES: &[Route] = &[
    route!("GET" "/webhooks/whatsapp" => "whatsapp-webhook", public, WEBHOOK, webhook::handshake),
    route!("POST" "/webhooks/whatsapp" => "whatsapp-webhook", public, WEBHOOK, webhook::deliver),

    route!("GET" "/api/v1/workspace/" => "get-workspace", read, TABLE, workspace::get),
    route!("PATCH" "/api/v1/workspace/" => "update-workspace", admin, TABLE, workspace::update),
    route!("POST" "/api/v1/api-keys/" => "create-api-key", admin, TABLE, keys::create),
    route!("GET" "/api/v1/api-keys/" => "list-api-keys", admin, TABLE, keys::list),
    route!("DELETE" "/api/v1/api-keys/{prefix}/" => "revoke-api-key", admin, TABLE, keys::revoke),

    route!("POST" "/v1/public/prompts" => "create-prompt", write, TABLE, prompts::create_by_name),
    route!("GET" "/v1/public/prompts/{prompt_name}" => "get-public-prompt", read, TABLE, prompts::get_by_name),
    route!("GET" "/api/prompts" => "list-prompts", read, TABLE, prompts::list),
    route!("GET" "/api/prompts/{promptId}" => "get-prompt", read, TABLE, prompts::get),
    route!("PUT" "/api/prompts/{promptId}" => "update-prompt", write, TABLE, prompts::update),
    route!("GET" "/api/prompts/{promptId}/versions" => "list-prompt-versions", read, TABLE, prompts::versions),
    route!("POST" "/api/prompts/{promptId}/versions" => "save-prompt-version", write, TABLE, prompts::save_version),
    route!("GET" "/api/prompts/{promptId}/versions/{version}" => "get-prompt-version", read, TABLE, prompts::version),
    route!("POST" "/api/prompts/{promptId}/versions/{version}/restore" => "restore-prompt-version", write, TABLE, prompts::restore),

    route!("POST" "/api/v1/whatsapp-numbers/" => "register-whatsapp-number", write, GRAPH, numbers::register),
    route!("GET" "/api/v1/whatsapp-numbers/" => "list-whatsapp-numbers", read, TABLE, numbers::list),
    route!("DELETE" "/api/v1/whatsapp-numbers/{phoneNumberId}/" => "remove-whatsapp-number", write, GRAPH, numbers::remove),

    route!("POST" "/api/v1/tools/" => "create-tool", write, TABLE, tools::create),
    route!("GET" "/api/v1/tools/" => "list-tools", read, TABLE, tools::list),
    route!("GET" "/api/v1/tools/{id}/" => "get-tool", read, TABLE, tools::get),
    route!("PATCH" "/api/v1/tools/{id}/" => "update-tool", write, TABLE, tools::update),
    route!("DELETE" "/api/v1/tools/{id}/" => "delete-tool", write, TABLE, tools::delete),
    route!("POST" "/api/v1/agents/" => "create-agent", write, TABLE, agents::create),
    route!("GET" "/api/v1/agents/" => "list-agents", read, TABLE, agents::list),
    route!("GET" "/api/v1/agents/{id}/" => "get-agent", read, TABLE, agents::get),
    route!("PATCH" "/api/v1/agents/{id}/" => "update-agent", write, TABLE, agents::update),
    route!("DELETE" "/api/v1/agents/{id}/" => "delete-agent", write, TABLE, agents::delete),

    route!("POST" "/api/v1/conversations/" => "create-conversation", write, GRAPH, conversations::create),
    route!("GET" "/api/v1/conversations/" => "list-conversations", read, TABLE, conversations::list),
    route!("GET" "/api/v1/conversations/{id}/" => "get-conversation", read, TABLE, conversations::get),
    route!("GET" "/api/v1/conversations/{id}/messages/" => "list-conversation-messages", read, TABLE, conversations::messages),
    route!("GET" "/api/v1/conversations/{id}/messages/{messageId}/media/" => "get-message-media", read, MEDIA, conversations::media),
    route!("POST" "/api/v1/conversations/{id}/messages/" => "send-conversation-message", write, GRAPH, conversations::send_message),
    route!("POST" "/api/v1/conversations/{id}/prompt/" => "prompt-agent", write, QUEUE, conversations::prompt_agent),
    route!("POST" "/api/v1/conversations/{id}/takeover/" => "takeover-conversation", write, QUEUE, conversations::take_over),
    route!("POST" "/api/v1/conversations/{id}/handback/" => "handback-conversation", write, TABLE, conversations::hand_back),
    route!("POST" "/api/v1/conversations/{id}/done/" => "done-conversation", write, QUEUE, conversations::done),
    route!("GET" "/api/v1/conversations/{id}/tool-calls/" => "list-tool-calls", read, TABLE, tools::calls),
    route!("POST" "/api/v1/tool-calls/{id}/approve/" => "approve-tool-call", write, QUEUE, tools::approve),
    route!("POST" "/api/v1/tool-calls/{id}/reject/" => "reject-tool-call", write, QUEUE, tools::reject),
    route!("POST" "/api/v1/conversations/{id}/analyze/" => "analyze-conversation", write, QUEUE, conversations::analyze),
    route!("GET" "/api/v1/conversations/{id}/analysis/" => "get-conversation-analysis", read, TABLE, conversations::get_analysis),
    // Flashback's seed lets a key with read access send prompts: the one write a `read` key may make.
    route!("POST" "/conversation/{conversationId}/prompt" => "send-prompt", read, QUEUE, flashback::send_prompt, ErrorShape::Flashback),

    route!("POST" "/api/v1/policies/" => "create-policy", write, TABLE, policies::create),
    route!("GET" "/api/v1/policies/" => "list-policies", read, TABLE, policies::list),
    route!("GET" "/api/v1/policies/{id}/" => "get-policy", read, TABLE, policies::get),
    route!("PATCH" "/api/v1/policies/{id}/" => "update-policy", write, TABLE, policies::update),
    route!("DELETE" "/api/v1/policies/{id}/" => "delete-policy", write, TABLE, policies::delete),
    route!("GET" "/api/v1/policy-violations/" => "list-policy-violations", read, TABLE, policies::violations),
    route!("GET" "/api/v1/usage/" => "get-usage", read, TABLE, usage::report),
];

/// The rows a function serves (the webhook serves two).
pub fn of_function(function: &str) -> Vec<&'static Route> {
    ROUTES.iter().filter(|route| route.function == function).collect()
}

/// Authenticates, checks the role, runs the handler and shapes its error: every HTTP request
/// goes through here, on Lambda and locally.
pub async fn dispatch(route: &Route, app: &App, request: &Request) -> Response<Body> {
    let result = match route.access {
        Access::Public(handler) => handler(app, request).await,
        Access::Key(role, handler) => match auth::authenticate(app, request).await {
            Ok(principal) => match auth::require(&principal, role) {
                Ok(()) => handler(app, &principal, request).await,
                Err(err) => Err(err),
            },
            Err(err) => Err(err),
        },
    };
    result.unwrap_or_else(|err| match route.errors {
        ErrorShape::House => response::error(&err),
        ErrorShape::Flashback => response::seed_error(&err),
    })
}

/// The function behind API Gateway's `$default` route: what no route answers.
pub const UNROUTED_FUNCTION: &str = "not-routed";

/// The answer to a request no route takes, in the API's error shape: 405 with `Allow` when the
/// path is known with other methods, 404 otherwise.
pub fn unrouted(method: &str, path: &str) -> Response<Body> {
    let allowed: Vec<&str> =
        ROUTES.iter().filter(|route| match_path(route.path, path).is_some()).map(|route| route.method).collect();
    if allowed.is_empty() {
        return response::error(&crate::AppError::NotFound(format!("no route answers {method} {path}")));
    }
    let allow = allowed.join(", ");
    let body = serde_json::json!({"error": {
        "code": "method_not_allowed",
        "message": format!("{method} is not allowed here; {path} answers {allow}"),
    }});
    let mut answer = response::json(http::StatusCode::METHOD_NOT_ALLOWED, &body);
    if let Ok(value) = http::HeaderValue::from_str(&allow) {
        answer.headers_mut().insert(http::header::ALLOW, value);
    }
    answer
}

/// The route for `method path`, with its path parameters (percent-decoded).
pub fn find(method: &str, path: &str) -> Option<(&'static Route, Vec<(String, String)>)> {
    ROUTES.iter().filter(|route| route.method == method).find_map(|route| Some((route, match_path(route.path, path)?)))
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
    url::form_urlencoded::parse(format!("x={}", segment.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_else(|| segment.to_owned())
}
