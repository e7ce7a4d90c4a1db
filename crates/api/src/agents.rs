//! `/api/v1/agents/`: agents answer on a number with a prompt.

use super::{created, no_content, ok, Reply};
use crate::http::bodies::agents::{AgentChangeBody, NewAgentBody};
use crate::http::bodies::command;
use crate::http::request::{page_request, path_param, query_param};
use crate::http::response::ListBody;
use crate::http::views::agents::{AgentView, ComparisonView};
use crate::http::Request;
use crate::model::input::InvalidField;
use crate::model::{timestamp, Principal};
use crate::App;
use colloquy_domain::agents::{self, compare};
use time::OffsetDateTime;

/// POST /api/v1/agents/: an agent from a prompt of the workspace.
pub async fn create(app: &App, who: &Principal, request: &Request) -> Reply {
    let agent = agents::create_agent(&app.agent_ports(), who, command::<NewAgentBody, _>(request)?).await?;
    created(&AgentView::from(&agent).with_unresolved_tools(agents::unresolved_tools(&app.agent_ports(), &agent).await?))
}

/// GET /api/v1/agents/: the workspace's agents, oldest first.
pub async fn list(app: &App, who: &Principal, request: &Request) -> Reply {
    let page_request = page_request(request)?;
    let page = agents::list_agents(&app.agent_ports(), who, &page_request).await?.map(|a| AgentView::from(&a));
    ok(&ListBody::from_page(page, "/api/v1/agents/", page_request.limit, &[]))
}

/// GET /api/v1/agents/{id}/
pub async fn get(app: &App, who: &Principal, request: &Request) -> Reply {
    let agent = agents::get_agent(&app.agent_ports(), who, &path_param(request, "id")?).await?;
    ok(&AgentView::from(&agent).with_unresolved_tools(agents::unresolved_tools(&app.agent_ports(), &agent).await?))
}

/// PATCH /api/v1/agents/{id}/: changes the fields given; `null` clears promptVersion (latest),
/// firstMessage and followUp.
pub async fn update(app: &App, who: &Principal, request: &Request) -> Reply {
    let change = command::<AgentChangeBody, _>(request)?;
    let agent = agents::change_agent(&app.agent_ports(), who, &path_param(request, "id")?, change).await?;
    ok(&AgentView::from(&agent).with_unresolved_tools(agents::unresolved_tools(&app.agent_ports(), &agent).await?))
}

/// DELETE /api/v1/agents/{id}/
pub async fn delete(app: &App, who: &Principal, request: &Request) -> Reply {
    agents::delete_agent(&app.agent_ports(), who, &path_param(request, "id")?).await?;
    no_content()
}

/// GET /api/v1/agents/{id}/versions-compared/?from=&to=: per prompt version, the conversations
/// started in the range (default the last 30 days) and what happened in them.
pub async fn versions_compared(app: &App, who: &Principal, request: &Request) -> Reply {
    let agent = agents::get_agent(&app.agent_ports(), who, &path_param(request, "id")?).await?;
    let instant = |field: &str| -> Result<Option<OffsetDateTime>, InvalidField> {
        query_param(request, field)
            .map(|text| {
                timestamp::parse(&text).ok_or_else(|| InvalidField::new(field, "must be an ISO 8601 date-time"))
            })
            .transpose()
    };
    let range = compare::Range::parse(instant("from")?, instant("to")?, app.clock.now())?;
    let compared = compare::versions_compared(&*app.store, who, &agent.id, range).await?;
    let prompt = app.store.get_prompt(&who.workspace_id, &agent.prompt_id).await?;
    ok(&ComparisonView::new(&agent, range, compared, prompt.as_ref()))
}
