//! Agents as people tune them: which prompt and version each follows, its model, tools and quiet
//! period; a change goes through the API's own use case, and what it refuses is shown beside the
//! field it names.

use http::StatusCode;
use maud::html;

use super::layout::{csrf, field_error, page as frame, Section};
use super::web::{self, Form};
use crate::http::bodies::agents::{AgentChangeBody, ModelBody};
use crate::http::error::named;
use crate::http::request::path_param;
use crate::http::Request;
use crate::model::{Agent, AgentId, PageRequest, Prompt, PromptId};
use crate::ports::PromptFilter;
use crate::{App, AppError, Reply};
use colloquy_domain::agents::{self, AgentChange};
use colloquy_domain::console_sessions::model::ConsoleSession;
use colloquy_domain::prompts;
use colloquy_domain::prompts::model::display_version;

fn agent_path(id: &AgentId) -> String {
    format!("/console/agents/{id}")
}

async fn workspace_prompts(app: &App, session: &ConsoleSession) -> Result<Vec<Prompt>, AppError> {
    let page = PageRequest { limit: 100, cursor: None };
    Ok(prompts::list_prompts(&*app.store, &session.principal(), &PromptFilter::default(), &page).await?.items)
}

fn prompt_name(prompts: &[Prompt], id: &PromptId) -> String {
    prompts.iter().find(|p| p.id == *id).map_or_else(|| id.to_string(), |p| p.name.clone())
}

/// GET /console/agents
pub async fn list(app: &App, session: &ConsoleSession, _request: &Request) -> Reply {
    let listed =
        agents::list_agents(&app.agent_ports(), &session.principal(), &PageRequest { limit: 100, cursor: None })
            .await?;
    let prompts = workspace_prompts(app, session).await?;
    let content = html! {
        h1 { "Agents" }
        @if listed.items.is_empty() { p.empty { "No agents yet: create one through the API." } }
        table.inbox {
            thead { tr { th { "Agent" } th { "Prompt" } th { "Model" } th { "Quiet period" } th { "Tools" } } }
            tbody {
                @for agent in &listed.items {
                    tr data-testid="agent-row" {
                        td { a href=(agent_path(&agent.id)) { (agent.name) } }
                        td { (prompt_name(&prompts, &agent.prompt_id)) " · " (follows(agent)) }
                        td { (agent.model.name) }
                        td { (quiet(agent)) }
                        td { (agent.tools.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", ")) }
                    }
                }
            }
        }
    };
    Ok(web::html(StatusCode::OK, frame("Agents", Some(session), Some(Section::Agents), content)))
}

fn follows(agent: &Agent) -> String {
    let chosen = match (&agent.prompt_version, &agent.prompt_label) {
        (Some(version), _) => display_version(*version),
        (None, Some(label)) => format!("label {label}"),
        (None, None) => "the latest".to_owned(),
    };
    match &agent.traffic_split {
        Some(split) => format!("{chosen}; new conversations split {}", arms(split)),
        None => chosen,
    }
}

/// `production 90 / v1.3 10`
fn arms(split: &colloquy_domain::agents::model::TrafficSplit) -> String {
    let arm = |arm: &colloquy_domain::agents::model::SplitArm| match &arm.follows {
        colloquy_domain::agents::model::PromptPick::Version(version) => {
            format!("{} {}", display_version(*version), arm.weight)
        }
        colloquy_domain::agents::model::PromptPick::Label(label) => format!("{label} {}", arm.weight),
    };
    format!("{} / {}", arm(&split.arms[0]), arm(&split.arms[1]))
}

fn quiet(agent: &Agent) -> String {
    agent.reply_delay_seconds.map_or_else(|| "the prompt's".to_owned(), |d| format!("{} s", d.seconds()))
}

/// GET /console/agents/{id}
pub async fn page(app: &App, session: &ConsoleSession, request: &Request) -> Reply {
    let id: AgentId = path_param(request, "id")?;
    render(app, session, &id, None, StatusCode::OK).await
}

/// A refusal: which field, and why.
struct Refused {
    field: Option<String>,
    message: String,
}

async fn render(
    app: &App,
    session: &ConsoleSession,
    id: &AgentId,
    refused: Option<Refused>,
    status: StatusCode,
) -> Reply {
    let agent = agents::get_agent(&app.agent_ports(), &session.principal(), id).await?;
    let prompts = workspace_prompts(app, session).await?;
    let error_at =
        |field: &str| refused.as_ref().filter(|r| r.field.as_deref() == Some(field)).map(|r| r.message.as_str());
    let other_error = refused.as_ref().filter(|r| {
        !["promptId", "promptVersion", "promptLabel", "model.name", "model.temperature", "replyDelaySeconds"]
            .contains(&r.field.as_deref().unwrap_or_default())
    });
    let writable = session.role.can_write();
    let content = html! {
        h1 { (agent.name) }
        form.composer.agent method="post" action=(agent_path(&agent.id)) {
            (csrf(session))
            label { "Prompt "
                select name="promptId" disabled[!writable] data-testid="agent-prompt" {
                    @for prompt in &prompts {
                        option value=(prompt.id) selected[prompt.id == agent.prompt_id] { (prompt.name) }
                    }
                }
            }
            (field_error(error_at("promptId")))
            label { "Version (empty follows the latest) "
                input type="number" name="promptVersion" min="1" readonly[!writable]
                    value=[agent.prompt_version] data-testid="agent-version"; }
            (field_error(error_at("promptVersion")))
            label { "Label (follows where it points; not with a version) "
                input type="text" name="promptLabel" maxlength="40" readonly[!writable]
                    value=[agent.prompt_label.as_ref().map(ToString::to_string)] data-testid="agent-label"; }
            (field_error(error_at("promptLabel")))
            label { "Model " input type="text" name="model" required maxlength="100" readonly[!writable] value=(agent.model.name); }
            (field_error(error_at("model.name")))
            label { "Temperature (empty: the prompt's) "
                input type="text" name="temperature" inputmode="decimal" readonly[!writable]
                    value=[agent.model.temperature.map(|t| t.value())] data-testid="agent-temperature"; }
            (field_error(error_at("model.temperature")))
            label { "Quiet period in seconds (empty: the prompt's) "
                input type="number" name="replyDelaySeconds" min="0" readonly[!writable]
                    value=[agent.reply_delay_seconds.map(|d| d.seconds())]; }
            (field_error(error_at("replyDelaySeconds")))
            p { "Tools: " (agent.tools.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", ")) }
            @if let Some(refused) = other_error { (field_error(Some(&refused.message))) }
            @if writable { button type="submit" data-testid="save-agent" { "Save the agent" } }
        }
    };
    Ok(web::html(status, frame(&agent.name, Some(session), Some(Section::Agents), content)))
}

/// POST /console/agents/{id}: the form's fields as the API's change of an agent.
pub async fn update(app: &App, session: &ConsoleSession, request: &Request) -> Reply {
    let id: AgentId = path_param(request, "id")?;
    let form = Form::of(request)?;
    let current = agents::get_agent(&app.agent_ports(), &session.principal(), &id).await?;
    let change = match change_of(&form, &current) {
        Ok(change) => change,
        Err(refused) => return render(app, session, &id, Some(refused), StatusCode::BAD_REQUEST).await,
    };
    let changed = match AgentChange::try_from(change) {
        Ok(change) => agents::change_agent(&app.agent_ports(), &session.principal(), &id, change).await.map_err(named),
        Err(invalid) => Err(AppError::from(invalid)),
    };
    match changed {
        Ok(_) => Ok(web::see_other(&agent_path(&id))),
        Err(AppError::Validation { field, message }) => {
            render(app, session, &id, Some(Refused { field, message }), StatusCode::BAD_REQUEST).await
        }
        Err(err) => Err(err.into()),
    }
}

fn change_of(form: &Form, current: &Agent) -> Result<AgentChangeBody, Refused> {
    let number = |field: &'static str| -> Result<Option<f64>, Refused> {
        match form.get(field).map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(text) => text.parse::<f64>().map(Some).map_err(|_| Refused {
                field: Some(field.to_owned()),
                message: format!("{field}: must be a number (got `{text}`)"),
            }),
        }
    };
    let temperature = number("temperature").map_err(|r| Refused { field: Some("model.temperature".into()), ..r })?;
    let whole = |value: Option<f64>, field: &str| -> Result<Option<u32>, Refused> {
        value
            .map(|v| {
                (v.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&v)).then_some(v as u32).ok_or_else(|| {
                    Refused { field: Some(field.to_owned()), message: format!("{field}: must be a whole number") }
                })
            })
            .transpose()
    };
    let version = whole(number("promptVersion")?, "promptVersion")?;
    let delay = whole(number("replyDelaySeconds")?, "replyDelaySeconds")?;
    let model = ModelBody {
        provider: current.model.provider,
        name: form.get("model").unwrap_or_default().to_owned(),
        temperature,
        max_tokens: Some(current.model.max_tokens),
        accepts_images: current.model.accepts_images,
    };
    Ok(AgentChangeBody {
        prompt_id: form.get("promptId").map(PromptId::from),
        prompt_version: Some(version),
        prompt_label: Some(form.get("promptLabel").map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned)),
        model: Some(model),
        reply_delay_seconds: Some(delay),
        ..AgentChangeBody::default()
    })
}
