//! Prompts: eigi's create-by-name (`/v1/public/prompts`) and leasing's documents and versions
//! (`/api/prompts`).

use super::{created, no_content, ok, Reply};
use crate::http::bodies::prompts::{LabelMoveBody, ManualSaveBody, NewPromptVersionBody, PromptEditBody};
use crate::http::bodies::{command, optional_command};
use crate::http::error::ApiError;
use crate::http::request::{page_request, path_param, query_param};
use crate::http::response::ListBody;
use crate::http::views::prompts::{
    EigiPrompt, LabelView, LabelsView, PromptChange, PromptDocument, VersionDetail, VersionSnapshot,
};
use crate::http::Request;
use crate::model::input::InvalidField;
use crate::model::Principal;
use crate::ports::PromptFilter;
use crate::App;
use crate::AppError;
use colloquy_domain::error::Rejection;
use colloquy_domain::prompts::labels::{self, LabelName, LabelTarget};
use colloquy_domain::prompts::{self, PromptPorts, PromptRejection, VersionPick};

const LIST_PATH: &str = "/api/prompts";

pub(crate) fn ports(app: &App) -> PromptPorts<'_> {
    PromptPorts { prompts: &*app.store, knowledge: &*app.store, clock: &*app.clock }
}

/// eigi's bodies are snake_case: a refused knowledge base is named as its body names it.
fn in_eigi_shape(err: AppError) -> ApiError {
    match err {
        AppError::Rejected(Rejection::Prompt(rejection @ PromptRejection::UnknownKnowledgeBase { index })) => {
            InvalidField::new(format!("knowledge_bases[{index}]"), rejection.to_string()).into()
        }
        other => other.into(),
    }
}

fn version_in_path(request: &Request) -> Result<u32, ApiError> {
    Ok(prompts::parse_version(&path_param::<String>(request, "version")?).map_err(|err| err.at("version"))?)
}

/// POST /v1/public/prompts (eigi): a new prompt at version 1, or the next version of the prompt
/// with that name.
pub async fn create_by_name(app: &App, who: &Principal, request: &Request) -> Reply {
    let input = command::<NewPromptVersionBody, _>(request)?;
    let (prompt, version) = prompts::create_version_by_name(ports(app), who, input).await.map_err(in_eigi_shape)?;
    tracing::info!(workspace = %who.workspace_id, prompt = %prompt.id, version = version.version, "prompt version created");
    created(&EigiPrompt::new(&prompt, &version))
}

/// GET /v1/public/prompts/{prompt_name} (eigi): the latest version, `?version=N`, or (Colloquy's)
/// the version `?label=` points at.
pub async fn get_by_name(app: &App, who: &Principal, request: &Request) -> Reply {
    let name: String = path_param(request, "prompt_name")?;
    let version = query_param(request, "version")
        .map(|text| prompts::parse_version(&text).map_err(|err| err.at("version")))
        .transpose()?;
    let label =
        query_param(request, "label").map(|text| LabelName::parse(&text).map_err(|err| err.at("label"))).transpose()?;
    let pick = match (version, label) {
        (Some(_), Some(_)) => return Err(InvalidField::new("label", "ask for a version or a label, not both").into()),
        (Some(number), None) => VersionPick::Number(number),
        (None, Some(label)) => VersionPick::Label(label),
        (None, None) => VersionPick::Latest,
    };
    let (prompt, version) = prompts::get_by_name(&*app.store, who, &name, pick).await?;
    ok(&EigiPrompt::new(&prompt, &version))
}

/// GET /api/prompts: oldest first; `?name=` keeps those whose name contains it; hidden prompts
/// only with `?includeHidden=true`.
pub async fn list(app: &App, who: &Principal, request: &Request) -> Reply {
    let page_request = page_request(request)?;
    let name = query_param(request, "name").filter(|name| !name.is_empty());
    let include_hidden = match query_param(request, "includeHidden").as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(InvalidField::new("includeHidden", format!("must be true or false (got `{other}`)")).into())
        }
    };
    let filter = PromptFilter { name_contains: name.as_deref(), include_hidden };
    let page = prompts::list_prompts(&*app.store, who, &filter, &page_request).await?;
    let mut filters: Vec<(&str, &str)> = name.as_deref().map(|name| ("name", name)).into_iter().collect();
    if include_hidden {
        filters.push(("includeHidden", "true"));
    }
    let page = page.map(|prompt| PromptDocument::from(&prompt));
    ok(&ListBody::from_page(page, LIST_PATH, page_request.limit, &filters))
}

/// GET /api/prompts/{promptId}: the prompt document (its working copy).
pub async fn get(app: &App, who: &Principal, request: &Request) -> Reply {
    let prompt = prompts::get_prompt(&*app.store, who, &path_param(request, "promptId")?).await?;
    let unresolved = prompts::unresolved_tools(&*app.store, &prompt).await?;
    ok(&PromptDocument::from(&prompt).with_unresolved_tools(unresolved))
}

/// PUT /api/prompts/{promptId} (leasing): edits the working copy; `versionSnapshot` appears when
/// the edit captured a version.
pub async fn update(app: &App, who: &Principal, request: &Request) -> Reply {
    let prompt_id = path_param(request, "promptId")?;
    let (prompt, version) =
        prompts::edit_prompt(ports(app), who, &prompt_id, command::<PromptEditBody, _>(request)?).await?;
    let mut change = PromptChange::new("Prompt updated successfully", &prompt, version.as_ref());
    change.prompt.unresolved_tools = Some(prompts::unresolved_tools(&*app.store, &prompt).await?);
    ok(&change)
}

/// GET /api/prompts/{promptId}/versions: newest first.
pub async fn versions(app: &App, who: &Principal, request: &Request) -> Reply {
    let prompt_id = path_param(request, "promptId")?;
    let page_request = page_request(request)?;
    let (prompt, versions) = prompts::list_versions(&*app.store, who, &prompt_id, &page_request).await?;
    let path = format!("{LIST_PATH}/{prompt_id}/versions");
    ok(&ListBody::from_page(versions.map(|v| VersionSnapshot::new(&v, &prompt)), &path, page_request.limit, &[]))
}

/// POST /api/prompts/{promptId}/versions: captures the working copy as a version
/// (`source: manual_save`), with an optional label, title and description; 201 with the snapshot.
pub async fn save_version(app: &App, who: &Principal, request: &Request) -> Reply {
    let prompt_id = path_param(request, "promptId")?;
    let notes = optional_command::<ManualSaveBody, _>(request)?;
    let (prompt, version) = prompts::save_version(&*app.store, &*app.clock, who, &prompt_id, notes).await?;
    tracing::info!(workspace = %who.workspace_id, prompt = %prompt.id, version = version.version, "prompt version saved");
    created(&VersionSnapshot::new(&version, &prompt))
}

/// GET /api/prompts/{promptId}/versions/{version}: one version in full.
pub async fn version(app: &App, who: &Principal, request: &Request) -> Reply {
    let prompt_id = path_param(request, "promptId")?;
    let (prompt, version) = prompts::get_version(&*app.store, who, &prompt_id, version_in_path(request)?).await?;
    ok(&VersionDetail::new(&version, &prompt))
}

/// POST /api/prompts/{promptId}/versions/{version}/restore: the old version's content becomes
/// the working copy and a new version; no version is ever overwritten.
pub async fn restore(app: &App, who: &Principal, request: &Request) -> Reply {
    let prompt_id = path_param(request, "promptId")?;
    let (prompt, version) =
        prompts::restore_version(&*app.store, &*app.clock, who, &prompt_id, version_in_path(request)?).await?;
    ok(&PromptChange::new("Prompt restored successfully", &prompt, Some(&version)))
}

fn label_in_path(request: &Request) -> Result<LabelName, ApiError> {
    Ok(LabelName::parse(&path_param::<String>(request, "label")?).map_err(|err| err.at("label"))?)
}

/// GET /api/prompts/{promptId}/labels: each label where it points, and the recent moves.
pub async fn labels(app: &App, who: &Principal, request: &Request) -> Reply {
    let prompt = prompts::get_prompt(&*app.store, who, &path_param(request, "promptId")?).await?;
    ok(&LabelsView::from(&prompt.labels))
}

/// PUT /api/prompts/{promptId}/labels/{label} `{"version": N}`: points the label at the version
/// (creating it); every agent that follows it answers with that version within a minute.
pub async fn move_label(app: &App, who: &Principal, request: &Request) -> Reply {
    let prompt_id = path_param(request, "promptId")?;
    let label = label_in_path(request)?;
    let target = command::<LabelMoveBody, LabelTarget>(request)?;
    let moved = labels::move_label(&*app.store, &*app.store, &*app.clock, who, &prompt_id, label, target).await?;
    let Some(pointer) = moved.prompt.labels.current.get(&moved.label) else {
        return Err(AppError::Conflict("the label was removed meanwhile; move it again".into()).into());
    };
    tracing::info!(workspace = %who.workspace_id, prompt = %prompt_id, label = %moved.label, version = pointer.version, "prompt label moved");
    ok(&LabelView { previous_version: Some(moved.previous_version), ..LabelView::new(&moved.label, pointer) })
}

/// DELETE /api/prompts/{promptId}/labels/{label}: 409 while an agent follows it.
pub async fn remove_label(app: &App, who: &Principal, request: &Request) -> Reply {
    let prompt_id = path_param(request, "promptId")?;
    let label = label_in_path(request)?;
    labels::remove_label(&*app.store, &*app.store, &*app.clock, who, &prompt_id, label).await?;
    no_content()
}
