//! `/api/v1/tools/`: the workspace's HTTPS tools that agents may call; a conversation's tool
//! calls, and a person's approval or rejection of one.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{created, no_content, ok, Reply};
use crate::http::bodies::tools::{NewToolBody, ToolChangeBody};
use crate::http::request::{json_body, optional_json_body, page_request, path_param};
use crate::http::response::ListBody;
use crate::http::Request;
use crate::model::{timestamp, Principal, ToolId};
use crate::App;
use colloquy_domain::tools;
use colloquy_domain::tools::call::ToolCallView;
use colloquy_domain::tools::model::ToolDef;
use colloquy_domain::tools::tool_calls::{self, Decision};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolView {
    pub id: ToolId,
    pub name: String,
    pub description: String,
    pub parameters: Map<String, Value>,
    pub url: String,
    pub timeout_seconds: u32,
    pub require_approval: bool,
    pub approval_expiry_minutes: u32,
    pub arguments: Map<String, Value>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&ToolDef> for ToolView {
    fn from(tool: &ToolDef) -> Self {
        Self {
            id: tool.id.clone(),
            name: tool.name.clone(),
            description: tool.description.clone(),
            parameters: tool.parameters.clone(),
            url: tool.url.clone(),
            timeout_seconds: tool.timeout_seconds,
            require_approval: tool.require_approval,
            approval_expiry_minutes: tool.approval_expiry_minutes,
            arguments: tool.arguments.clone(),
            created_at: timestamp::format(tool.created_at),
            updated_at: timestamp::format(tool.updated_at),
        }
    }
}

/// POST /api/v1/tools/
pub async fn create(app: &App, who: &Principal, request: &Request) -> Reply {
    let body: NewToolBody = json_body(request)?;
    let tool = tools::create_tool(&*app.store, &*app.clock, who, body.parse(&app.outbound)?).await?;
    tracing::info!(workspace = %who.workspace_id, tool = %tool.id, "tool created");
    created(&ToolView::from(&tool))
}

/// GET /api/v1/tools/: oldest first.
pub async fn list(app: &App, who: &Principal, request: &Request) -> Reply {
    let page_request = page_request(request)?;
    let page = tools::list_tools(&*app.store, who, &page_request).await?.map(|t| ToolView::from(&t));
    ok(&ListBody::from_page(page, "/api/v1/tools/", page_request.limit, &[]))
}

/// GET /api/v1/tools/{id}/
pub async fn get(app: &App, who: &Principal, request: &Request) -> Reply {
    ok(&ToolView::from(&tools::get_tool(&*app.store, who, &path_param(request, "id")?).await?))
}

/// PATCH /api/v1/tools/{id}/: changes the fields given.
pub async fn update(app: &App, who: &Principal, request: &Request) -> Reply {
    let body: ToolChangeBody = json_body(request)?;
    let change = body.parse(&app.outbound)?;
    let tool = tools::change_tool(&*app.store, &*app.clock, who, &path_param(request, "id")?, change).await?;
    ok(&ToolView::from(&tool))
}

/// DELETE /api/v1/tools/{id}/
pub async fn delete(app: &App, who: &Principal, request: &Request) -> Reply {
    tools::delete_tool(&*app.store, who, &path_param(request, "id")?).await?;
    no_content()
}

/// GET /api/v1/conversations/{id}/tool-calls/: the conversation's tool calls, newest first.
pub async fn calls(app: &App, who: &Principal, request: &Request) -> Reply {
    let messages = tool_calls::list(&*app.store, who, &path_param(request, "id")?).await?;
    let results: Vec<ToolCallView> =
        messages.iter().filter_map(|m| m.tool_call.as_ref().map(|call| ToolCallView::new(m, call))).collect();
    ok(&serde_json::json!({"count": results.len(), "next": null, "previous": null, "results": results}))
}

/// POST /api/v1/tool-calls/{id}/approve/: the call runs when the conversation's run resumes.
pub async fn approve(app: &App, who: &Principal, request: &Request) -> Reply {
    let message = tool_calls::decide(
        &app.reply_ports(),
        &*app.queue,
        who,
        &path_param::<String>(request, "id")?,
        Decision::Approve,
    )
    .await?;
    decided(&message)
}

#[derive(Deserialize, Default)]
struct Rejection {
    #[serde(default)]
    reason: Option<String>,
}

/// POST /api/v1/tool-calls/{id}/reject/: `{reason}` (optional) reaches the model.
pub async fn reject(app: &App, who: &Principal, request: &Request) -> Reply {
    let body: Rejection = optional_json_body(request)?;
    let message = tool_calls::decide(
        &app.reply_ports(),
        &*app.queue,
        who,
        &path_param::<String>(request, "id")?,
        Decision::reject(body.reason.as_deref()).map_err(|err| err.at("reason"))?,
    )
    .await?;
    decided(&message)
}

fn decided(message: &crate::model::Message) -> Reply {
    match &message.tool_call {
        Some(call) => ok(&ToolCallView::new(message, call)),
        None => Err(crate::AppError::Internal("a decided tool call has no call".into()).into()),
    }
}
