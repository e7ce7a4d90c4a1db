//! The route table: every HTTP route is one row naming its method, path, Lambda function, who may
//! call it, what the function needs built, and its handler. The Lambda entry points, the local
//! router and the contract tests (template, fixtures, OpenAPI) all read this table.

use std::future::Future;
use std::pin::Pin;

use super::{
    agents, audit, console, contacts, conversations, dead_letters, event_deliveries, keys, knowledge, numbers,
    policies, prompts, test_suites, tools, usage, user_prompts, webhook, workspace, Reply,
};
use crate::app::Needs;
use crate::http::{auth, response, Body, Request, Response};
use crate::model::{Principal, Role};
use crate::App;
use colloquy_domain::audit::Via;
use colloquy_domain::console_sessions::model::ConsoleSession;

pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Reply> + Send + 'a>>;
/// A handler behind an API key: it receives the authenticated principal.
pub type KeyedHandler = for<'a> fn(&'a App, &'a Principal, &'a Request) -> HandlerFuture<'a>;
/// A handler that authenticates its caller itself (Meta's signed webhook).
pub type PublicHandler = for<'a> fn(&'a App, &'a Request) -> HandlerFuture<'a>;
/// A console page behind a signed-in session (its cookie, role and, for a change, CSRF token).
pub type ConsoleHandler = for<'a> fn(&'a App, &'a ConsoleSession, &'a Request) -> HandlerFuture<'a>;

#[derive(Clone, Copy)]
pub enum Access {
    /// No API key; the handler checks the caller (the webhook's signature).
    Public(PublicHandler),
    /// An API key with at least this role.
    Key(Role, KeyedHandler),
    /// A console session whose key has at least this role.
    Console(Role, ConsoleHandler),
}

/// How errors look: the house shape, or a seed's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorShape {
    /// `{"error": {"code", "message", "field"?}}`
    House,
    /// Flashback's `{"success": false, "message"}`.
    SuccessFlag,
    /// The console's: an HTML page saying what went wrong.
    Page,
}

/// A Lambda function of the API and the rows it serves (the webhook serves two).
#[derive(Clone, Copy)]
pub struct Function {
    /// Its constant in `function`, as its binary names it.
    pub ident: &'static str,
    /// The Lambda function (cargo binary).
    pub name: &'static str,
    pub rows: &'static [Route],
}

impl Function {
    /// What the function builds besides the table: what any of its rows needs. A constant, so
    /// that a function's binary is compiled for its own needs (`functions::wiring::Clients`).
    pub const fn needs(&self) -> Needs {
        let mut needs = Needs::TABLE;
        let mut row = 0;
        while row < self.rows.len() {
            needs = needs.union(self.rows[row].needs);
            row += 1;
        }
        needs
    }
}

#[derive(Clone, Copy)]
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
            Access::Key(role, _) | Access::Console(role, _) => Some(role),
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
    ($method:literal $path:literal => $function:literal, page, $needs:expr, $handler:path) => {
        Route {
            method: $method,
            path: $path,
            function: $function,
            access: Access::Public(|app, request| Box::pin($handler(app, request))),
            needs: $needs,
            errors: ErrorShape::Page,
        }
    };
    ($method:literal $path:literal => $function:literal, console_read, $needs:expr, $handler:path) => {
        route!(@console $method $path => $function, Role::Read, $needs, $handler)
    };
    ($method:literal $path:literal => $function:literal, console_write, $needs:expr, $handler:path) => {
        route!(@console $method $path => $function, Role::Write, $needs, $handler)
    };
    (@console $method:literal $path:literal => $function:literal, $role:expr, $needs:expr, $handler:path) => {
        Route {
            method: $method,
            path: $path,
            function: $function,
            access: Access::Console($role, |app, session, request| Box::pin($handler(app, session, request))),
            needs: $needs,
            errors: ErrorShape::Page,
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

/// The table: one entry per Lambda function, naming its rows. Expands to a `Function` constant per
/// function in `function` (what that function's binary serves, and all it links), `FUNCTIONS`
/// and `ROUTES` for the local router and the contract tests, and `PATHS` (no handlers) for the
/// function that answers what no route takes.
macro_rules! route_table {
    ($( $ident:ident $name:literal {
        $( $method:literal $path:literal, $access:ident, $needs:expr, $handler:path $(, $errors:expr)? ; )+
    } )*) => {
        /// One constant per function: its binary names it, so it links only its own handlers.
        pub mod function {
            use super::*;
            $(
                pub const $ident: Function = Function {
                    ident: stringify!($ident),
                    name: $name,
                    rows: &[ $( route!($method $path => $name, $access, $needs, $handler $(, $errors)?), )+ ],
                };
            )*
        }

        pub static FUNCTIONS: &[Function] = &[ $( function::$ident, )* ];

        pub static ROUTES: &[Route] = &[
            $( $( route!($method $path => $name, $access, $needs, $handler $(, $errors)?), )+ )*
        ];

        /// Every route's method and path, without its handler.
        pub static PATHS: &[(&str, &str)] = &[ $( $( ($method, $path), )+ )* ];
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
const ERASURE: Needs = Needs::TABLE.with_media().with_queue();
/// A change of a knowledge base's documents: their files in the bucket, and the rebuild queued.
const KNOWLEDGE: Needs = Needs::TABLE.with_media().with_queue();
/// A search: the snapshot in the bucket, and the query's embedding (the LLM's configuration).
const SEARCH: Needs = Needs::TABLE.with_media().with_llm();
const WEBHOOK: Needs = Needs::TABLE.with_queue().with_webhook_secrets();

#[rustfmt::skip]
route_table! {
    WHATSAPP_WEBHOOK "whatsapp-webhook" {
        "GET" "/webhooks/whatsapp", public, WEBHOOK, webhook::handshake;
        "POST" "/webhooks/whatsapp", public, WEBHOOK, webhook::deliver;
    }

    GET_WORKSPACE "get-workspace" { "GET" "/api/v1/workspace/", read, TABLE, workspace::get; }
    UPDATE_WORKSPACE "update-workspace" { "PATCH" "/api/v1/workspace/", admin, TABLE, workspace::update; }
    CREATE_API_KEY "create-api-key" { "POST" "/api/v1/api-keys/", admin, TABLE, keys::create; }
    LIST_API_KEYS "list-api-keys" { "GET" "/api/v1/api-keys/", admin, TABLE, keys::list; }
    REVOKE_API_KEY "revoke-api-key" { "DELETE" "/api/v1/api-keys/{prefix}/", admin, TABLE, keys::revoke; }

    CREATE_PROMPT "create-prompt" { "POST" "/v1/public/prompts", write, TABLE, prompts::create_by_name; }
    GET_PUBLIC_PROMPT "get-public-prompt" { "GET" "/v1/public/prompts/{prompt_name}", read, TABLE, prompts::get_by_name; }
    LIST_PROMPTS "list-prompts" { "GET" "/api/prompts", read, TABLE, prompts::list; }
    GET_PROMPT "get-prompt" { "GET" "/api/prompts/{promptId}", read, TABLE, prompts::get; }
    UPDATE_PROMPT "update-prompt" { "PUT" "/api/prompts/{promptId}", write, TABLE, prompts::update; }
    LIST_PROMPT_VERSIONS "list-prompt-versions" { "GET" "/api/prompts/{promptId}/versions", read, TABLE, prompts::versions; }
    SAVE_PROMPT_VERSION "save-prompt-version" { "POST" "/api/prompts/{promptId}/versions", write, TABLE, prompts::save_version; }
    GET_PROMPT_VERSION "get-prompt-version" { "GET" "/api/prompts/{promptId}/versions/{version}", read, TABLE, prompts::version; }
    RESTORE_PROMPT_VERSION "restore-prompt-version" { "POST" "/api/prompts/{promptId}/versions/{version}/restore", write, TABLE, prompts::restore; }
    CREATE_TEST_SUITE "create-test-suite" { "POST" "/api/v1/test-suites/", write, TABLE, test_suites::create; }
    LIST_TEST_SUITES "list-test-suites" { "GET" "/api/v1/test-suites/", read, TABLE, test_suites::list; }
    GET_TEST_SUITE "get-test-suite" { "GET" "/api/v1/test-suites/{id}/", read, TABLE, test_suites::get; }
    UPDATE_TEST_SUITE "update-test-suite" { "PATCH" "/api/v1/test-suites/{id}/", write, TABLE, test_suites::update; }
    DELETE_TEST_SUITE "delete-test-suite" { "DELETE" "/api/v1/test-suites/{id}/", write, TABLE, test_suites::delete; }
    START_TEST_RUN "start-test-run" { "POST" "/api/v1/test-suites/{id}/runs/", write, QUEUE, test_suites::start_run; }
    GET_TEST_RUN "get-test-run" { "GET" "/api/v1/test-suites/{id}/runs/{runId}/", read, TABLE, test_suites::get_run; }
    LIST_PROMPT_LABELS "list-prompt-labels" { "GET" "/api/prompts/{promptId}/labels", read, TABLE, prompts::labels; }
    MOVE_PROMPT_LABEL "move-prompt-label" { "PUT" "/api/prompts/{promptId}/labels/{label}", write, TABLE, prompts::move_label; }
    REMOVE_PROMPT_LABEL "remove-prompt-label" { "DELETE" "/api/prompts/{promptId}/labels/{label}", write, TABLE, prompts::remove_label; }

    REGISTER_WHATSAPP_NUMBER "register-whatsapp-number" { "POST" "/api/v1/whatsapp-numbers/", write, GRAPH, numbers::register; }
    LIST_WHATSAPP_NUMBERS "list-whatsapp-numbers" { "GET" "/api/v1/whatsapp-numbers/", read, TABLE, numbers::list; }
    REMOVE_WHATSAPP_NUMBER "remove-whatsapp-number" { "DELETE" "/api/v1/whatsapp-numbers/{phoneNumberId}/", write, GRAPH, numbers::remove; }

    CREATE_TOOL "create-tool" { "POST" "/api/v1/tools/", write, TABLE, tools::create; }
    LIST_TOOLS "list-tools" { "GET" "/api/v1/tools/", read, TABLE, tools::list; }
    GET_TOOL "get-tool" { "GET" "/api/v1/tools/{id}/", read, TABLE, tools::get; }
    UPDATE_TOOL "update-tool" { "PATCH" "/api/v1/tools/{id}/", write, TABLE, tools::update; }
    DELETE_TOOL "delete-tool" { "DELETE" "/api/v1/tools/{id}/", write, TABLE, tools::delete; }
    CREATE_AGENT "create-agent" { "POST" "/api/v1/agents/", write, TABLE, agents::create; }
    LIST_AGENTS "list-agents" { "GET" "/api/v1/agents/", read, TABLE, agents::list; }
    GET_AGENT "get-agent" { "GET" "/api/v1/agents/{id}/", read, TABLE, agents::get; }
    UPDATE_AGENT "update-agent" { "PATCH" "/api/v1/agents/{id}/", write, TABLE, agents::update; }
    DELETE_AGENT "delete-agent" { "DELETE" "/api/v1/agents/{id}/", write, TABLE, agents::delete; }
    COMPARE_AGENT_VERSIONS "compare-agent-versions" { "GET" "/api/v1/agents/{id}/versions-compared/", read, TABLE, agents::versions_compared; }

    CREATE_CONVERSATION "create-conversation" { "POST" "/api/v1/conversations/", write, GRAPH, conversations::create; }
    LIST_CONVERSATIONS "list-conversations" { "GET" "/api/v1/conversations/", read, TABLE, conversations::list; }
    GET_CONVERSATION "get-conversation" { "GET" "/api/v1/conversations/{id}/", read, TABLE, conversations::get; }
    LIST_CONVERSATION_MESSAGES "list-conversation-messages" { "GET" "/api/v1/conversations/{id}/messages/", read, TABLE, conversations::messages; }
    GET_MESSAGE_MEDIA "get-message-media" { "GET" "/api/v1/conversations/{id}/messages/{messageId}/media/", read, MEDIA, conversations::media; }
    SEND_CONVERSATION_MESSAGE "send-conversation-message" { "POST" "/api/v1/conversations/{id}/messages/", write, GRAPH, conversations::send_message; }
    PROMPT_AGENT "prompt-agent" { "POST" "/api/v1/conversations/{id}/prompt/", write, QUEUE, conversations::prompt_agent; }
    TAKEOVER_CONVERSATION "takeover-conversation" { "POST" "/api/v1/conversations/{id}/takeover/", write, QUEUE, conversations::take_over; }
    HANDBACK_CONVERSATION "handback-conversation" { "POST" "/api/v1/conversations/{id}/handback/", write, TABLE, conversations::hand_back; }
    DONE_CONVERSATION "done-conversation" { "POST" "/api/v1/conversations/{id}/done/", write, QUEUE, conversations::done; }
    LIST_TOOL_CALLS "list-tool-calls" { "GET" "/api/v1/conversations/{id}/tool-calls/", read, TABLE, tools::calls; }
    APPROVE_TOOL_CALL "approve-tool-call" { "POST" "/api/v1/tool-calls/{id}/approve/", write, QUEUE, tools::approve; }
    REJECT_TOOL_CALL "reject-tool-call" { "POST" "/api/v1/tool-calls/{id}/reject/", write, QUEUE, tools::reject; }
    ANALYZE_CONVERSATION "analyze-conversation" { "POST" "/api/v1/conversations/{id}/analyze/", write, QUEUE, conversations::analyze; }
    GET_CONVERSATION_ANALYSIS "get-conversation-analysis" { "GET" "/api/v1/conversations/{id}/analysis/", read, TABLE, conversations::get_analysis; }
    // Flashback's seed lets a key with read access send prompts: the one write a `read` key may make.
    SEND_PROMPT "send-prompt" { "POST" "/conversation/{conversationId}/prompt", read, QUEUE, user_prompts::send_prompt, ErrorShape::SuccessFlag; }

    CREATE_POLICY "create-policy" { "POST" "/api/v1/policies/", write, TABLE, policies::create; }
    LIST_POLICIES "list-policies" { "GET" "/api/v1/policies/", read, TABLE, policies::list; }
    GET_POLICY "get-policy" { "GET" "/api/v1/policies/{id}/", read, TABLE, policies::get; }
    UPDATE_POLICY "update-policy" { "PATCH" "/api/v1/policies/{id}/", write, TABLE, policies::update; }
    DELETE_POLICY "delete-policy" { "DELETE" "/api/v1/policies/{id}/", write, TABLE, policies::delete; }
    LIST_POLICY_VIOLATIONS "list-policy-violations" { "GET" "/api/v1/policy-violations/", read, TABLE, policies::violations; }
    GET_USAGE "get-usage" { "GET" "/api/v1/usage/", read, TABLE, usage::report; }
    LIST_DEAD_LETTERS "list-dead-letters" { "GET" "/api/v1/dead-letters/", admin, TABLE, dead_letters::list; }
    REDRIVE_DEAD_LETTER "redrive-dead-letter" { "POST" "/api/v1/dead-letters/{id}/redrive/", admin, QUEUE, dead_letters::redrive; }
    LIST_EVENT_DELIVERIES "list-event-deliveries" { "GET" "/api/v1/event-deliveries/", admin, TABLE, event_deliveries::list; }
    REPLAY_EVENT_DELIVERY "replay-event-delivery" { "POST" "/api/v1/event-deliveries/{id}/replay/", admin, QUEUE, event_deliveries::replay; }
    LIST_AUDIT_LOG "list-audit-log" { "GET" "/api/v1/audit-log/", admin, TABLE, audit::list; }
    EXPORT_CONTACT "export-contact" { "GET" "/api/v1/contacts/{waId}/export/", admin, TABLE, contacts::export; }
    ERASE_CONTACT "erase-contact" { "DELETE" "/api/v1/contacts/{waId}/", admin, ERASURE, contacts::erase; }

    CREATE_KNOWLEDGE_BASE "create-knowledge-base" { "POST" "/api/v1/knowledge-bases/", write, TABLE, knowledge::create; }
    LIST_KNOWLEDGE_BASES "list-knowledge-bases" { "GET" "/api/v1/knowledge-bases/", read, TABLE, knowledge::list; }
    GET_KNOWLEDGE_BASE "get-knowledge-base" { "GET" "/api/v1/knowledge-bases/{id}/", read, TABLE, knowledge::get; }
    UPDATE_KNOWLEDGE_BASE "update-knowledge-base" { "PATCH" "/api/v1/knowledge-bases/{id}/", write, TABLE, knowledge::update; }
    DELETE_KNOWLEDGE_BASE "delete-knowledge-base" { "DELETE" "/api/v1/knowledge-bases/{id}/", write, MEDIA, knowledge::delete; }
    ADD_KNOWLEDGE_DOCUMENT "add-knowledge-document" { "POST" "/api/v1/knowledge-bases/{id}/documents/", write, KNOWLEDGE, knowledge::add_document; }
    LIST_KNOWLEDGE_DOCUMENTS "list-knowledge-documents" { "GET" "/api/v1/knowledge-bases/{id}/documents/", read, TABLE, knowledge::list_documents; }
    GET_KNOWLEDGE_DOCUMENT "get-knowledge-document" { "GET" "/api/v1/knowledge-bases/{id}/documents/{documentId}/", read, TABLE, knowledge::get_document; }
    REPLACE_KNOWLEDGE_DOCUMENT "replace-knowledge-document" { "PUT" "/api/v1/knowledge-bases/{id}/documents/{documentId}/", write, KNOWLEDGE, knowledge::replace_document; }
    DELETE_KNOWLEDGE_DOCUMENT "delete-knowledge-document" { "DELETE" "/api/v1/knowledge-bases/{id}/documents/{documentId}/", write, KNOWLEDGE, knowledge::delete_document; }
    COMPLETE_KNOWLEDGE_UPLOAD "complete-knowledge-upload" { "POST" "/api/v1/knowledge-bases/{id}/documents/{documentId}/uploaded/", write, KNOWLEDGE, knowledge::complete_upload; }
    SEARCH_KNOWLEDGE_BASE "search-knowledge-base" { "POST" "/api/v1/knowledge-bases/{id}/search/", read, SEARCH, knowledge::search; }

    // The operator console: HTML pages for people, signed in with a session cookie.
    CONSOLE "console" {
        "GET" "/console/sign-in", page, TABLE, console::sign_in::form;
        "POST" "/console/sign-in", page, TABLE, console::sign_in::submit;
        "POST" "/console/sign-out", console_read, TABLE, console::sign_in::sign_out;
        "GET" "/console/assets/{file}", page, TABLE, console::assets::serve;
        "GET" "/console/", console_read, TABLE, console::inbox::page;
        "GET" "/console/inbox", console_read, TABLE, console::inbox::fragment;
        "GET" "/console/conversations/{id}", console_read, GRAPH, console::conversation::page;
        "GET" "/console/conversations/{id}/transcript", console_read, TABLE, console::conversation::transcript;
        "POST" "/console/conversations/{id}/takeover", console_write, QUEUE, console::conversation::take_over;
        "POST" "/console/conversations/{id}/handback", console_write, TABLE, console::conversation::hand_back;
        "POST" "/console/conversations/{id}/messages", console_write, GRAPH, console::conversation::send;
        "POST" "/console/conversations/{id}/done", console_write, QUEUE, console::conversation::done;
        "POST" "/console/conversations/{id}/analyze", console_write, QUEUE, console::conversation::analyze;
        "GET" "/console/conversations/{id}/media/{messageId}", console_read, MEDIA, console::media::serve;
        "GET" "/console/approvals", console_read, TABLE, console::approvals::page;
        "POST" "/console/tool-calls/{id}/approve", console_write, QUEUE, console::approvals::approve;
        "POST" "/console/tool-calls/{id}/reject", console_write, QUEUE, console::approvals::reject;
        "GET" "/console/prompts", console_read, TABLE, console::prompts::list;
        "GET" "/console/prompts/{id}", console_read, TABLE, console::prompts::page;
        "POST" "/console/prompts/{id}/edit", console_write, TABLE, console::prompts::edit;
        "POST" "/console/prompts/{id}/versions", console_write, TABLE, console::prompts::save_version;
        "POST" "/console/prompts/{id}/versions/{version}/restore", console_write, TABLE, console::prompts::restore;
        "GET" "/console/agents", console_read, TABLE, console::agents::list;
        "GET" "/console/agents/{id}", console_read, TABLE, console::agents::page;
        "POST" "/console/agents/{id}", console_write, TABLE, console::agents::update;
        "GET" "/console/usage", console_read, TABLE, console::usage::page;
    }
}

/// The function named `name`, if the table has it.
pub fn of_function(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|function| function.name == name)
}

/// Authenticates, checks the role, runs the handler and shapes its error: every HTTP request
/// goes through here, on Lambda and locally.
pub async fn dispatch(route: &Route, app: &App, request: &Request) -> Response<Body> {
    let result = match route.access {
        Access::Public(handler) => handler(app, request).await,
        Access::Console(role, handler) => return console::serve(app, route, request, role, handler).await,
        Access::Key(role, handler) => match auth::authenticate(app, request).await {
            Ok(principal) => match admitted(app, &principal, role).await {
                Ok(()) => {
                    let answer = handler(app, &principal, request).await;
                    if let Ok(response) = &answer {
                        let who = (&principal.workspace_id, principal.key_prefix.as_str(), Via::Api);
                        audit::after(app, route, request, response, who).await;
                    }
                    answer
                }
                Err(err) => Err(err.into()),
            },
            Err(err) => Err(err),
        },
    };
    result.unwrap_or_else(|err| match route.errors {
        ErrorShape::House => response::error(&err),
        ErrorShape::SuccessFlag => response::seed_error(&err),
        ErrorShape::Page => console::error_response(&err, None),
    })
}

/// A key's request is counted against its rate limits (a refused one too: hammering with the
/// wrong role is still hammering), then its role is checked.
async fn admitted(app: &App, principal: &Principal, role: Role) -> Result<(), crate::AppError> {
    colloquy_domain::rate_limits::admit(&*app.store, &*app.clock, app.rate_limits, principal).await?;
    auth::require(principal, role)
}

/// The function behind API Gateway's `$default` route: what no route answers.
pub const UNROUTED_FUNCTION: &str = "not-routed";

/// The functions no HTTP route reaches: fed by SQS or an EventBridge schedule.
pub const EVENT_FUNCTIONS: [&str; 4] =
    ["agent-worker", "follow-up-scheduler", "retention-sweeper", "dead-letter-recorder"];

/// The answer to a request no route takes, in the API's error shape: 405 with `Allow` when the
/// path is known with other methods, 404 otherwise.
pub fn unrouted(method: &str, path: &str) -> Response<Body> {
    let allowed: Vec<&str> =
        PATHS.iter().filter(|(_, pattern)| match_path(pattern, path).is_some()).map(|(method, _)| *method).collect();
    if allowed.is_empty() {
        return response::error(&crate::AppError::NotFound(format!("no route answers {method} {path}")).into());
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
