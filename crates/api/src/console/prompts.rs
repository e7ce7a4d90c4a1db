//! Prompts as people tune them: the list, one prompt's working copy (edited with the API's
//! validation, errors beside the field), its versions, a version beside the working copy as a
//! line diff, a manual save with a title and note, and a restore.

use http::StatusCode;
use maud::{html, Markup};
use similar::{ChangeTag, TextDiff};

use super::layout::{csrf, field_error, page as frame, Section};
use super::views::{clock, person, Names};
use super::web::{self, Form};
use crate::http::bodies::prompts::{ManualSaveBody, PromptEditBody};
use crate::http::request::{path_param, query_param};
use crate::http::Request;
use crate::model::{PageRequest, Prompt, PromptId, PromptVersion, VersionNotes, VersionSource};
use crate::ports::PromptFilter;
use crate::{App, AppError, Reply};
use colloquy_domain::api_keys;
use colloquy_domain::console_sessions::model::ConsoleSession;
use colloquy_domain::prompts::model::display_version;
use colloquy_domain::prompts::{self, PromptEdit};

fn prompt_path(id: &PromptId) -> String {
    format!("/console/prompts/{id}")
}

/// GET /console/prompts
pub async fn list(app: &App, session: &ConsoleSession, _request: &Request) -> Reply {
    let page = PageRequest { limit: 100, cursor: None };
    let listed = prompts::list_prompts(&*app.store, &session.principal(), &PromptFilter::default(), &page).await?;
    let now = app.clock.now();
    let content = html! {
        h1 { "Prompts" }
        @if listed.items.is_empty() { p.empty { "No prompts yet: create one through the API." } }
        table.inbox {
            thead { tr { th { "Prompt" } th { "Latest version" } th { "Edited" } } }
            tbody {
                @for prompt in &listed.items {
                    tr data-testid="prompt-row" {
                        td { a href=(prompt_path(&prompt.id)) { (prompt.name) } }
                        td { (display_version(prompt.latest_version)) }
                        td { (clock(prompt.updated_at, now)) }
                    }
                }
            }
        }
    };
    Ok(web::html(StatusCode::OK, frame("Prompts", Some(session), Some(Section::Prompts), content)))
}

/// GET /console/prompts/{id}: the working copy, its versions, and (`?compare=N`) a version
/// beside it.
pub async fn page(app: &App, session: &ConsoleSession, request: &Request) -> Reply {
    let id: PromptId = path_param(request, "id")?;
    let compare =
        query_param(request, "compare").map(|v| prompts::parse_version(&v).map_err(|e| e.at("compare"))).transpose()?;
    render(app, session, &id, compare, Errors::default(), StatusCode::OK).await
}

/// What a form got wrong, beside its field.
#[derive(Default)]
struct Errors {
    text: Option<String>,
    save: Option<String>,
}

async fn render(
    app: &App,
    session: &ConsoleSession,
    id: &PromptId,
    compare: Option<u32>,
    errors: Errors,
    status: StatusCode,
) -> Reply {
    let principal = session.principal();
    let (prompt, versions) =
        prompts::list_versions(&*app.store, &principal, id, &PageRequest { limit: 50, cursor: None }).await?;
    let compared = match compare {
        Some(number) => Some(prompts::get_version(&*app.store, &principal, id, number).await?.1),
        None => None,
    };
    let names = api_keys::names_by_prefix(&*app.store, &principal).await?;
    let now = app.clock.now();
    let content = html! {
        h1 { (prompt.name) }
        div.conversation {
            section {
                @if let Some(version) = &compared { (diff(&prompt, version)) }
                (working_copy(session, &prompt, &names, errors.text.as_deref()))
            }
            aside.panel {
                @if session.role.can_write() { (save_form(session, &prompt, errors.save.as_deref())) }
                h2 { "Versions" }
                ol.versions reversed {
                    @for version in &versions.items {
                        (version_row(session, &prompt, version, now))
                    }
                }
            }
        }
    };
    Ok(web::html(status, frame(&prompt.name, Some(session), Some(Section::Prompts), content)))
}

fn working_copy(session: &ConsoleSession, prompt: &Prompt, names: &Names, error: Option<&str>) -> Markup {
    html! {
        form.composer method="post" action=(format!("{}/edit", prompt_path(&prompt.id))) {
            (csrf(session))
            label for="prompt-text" { "Working copy" @if let Some(by) = &prompt.edited_by { " · last edited by " (person(names, by)) } }
            textarea #prompt-text.prompt name="prompt" rows="14" data-testid="prompt-text"
                readonly[!session.role.can_write()] aria-invalid=[error.map(|_| "true")] { (prompt.content.text) }
            (field_error(error))
            @if session.role.can_write() { button type="submit" data-testid="save-working-copy" { "Save the working copy" } }
        }
    }
}

fn save_form(session: &ConsoleSession, prompt: &Prompt, error: Option<&str>) -> Markup {
    html! {
        form.stacked method="post" action=(format!("{}/versions", prompt_path(&prompt.id))) {
            (csrf(session))
            h2 { "Save a version" }
            input type="text" name="title" maxlength="200" placeholder="Title" aria-label="Title" data-testid="version-title";
            input type="text" name="description" maxlength="2000" placeholder="Note" aria-label="Note";
            (field_error(error))
            button type="submit" data-testid="save-version" { "Save as " (display_version(prompt.latest_version + 1)) }
        }
    }
}

fn version_row(
    session: &ConsoleSession,
    prompt: &Prompt,
    version: &PromptVersion,
    now: time::OffsetDateTime,
) -> Markup {
    let path = prompt_path(&prompt.id);
    html! {
        li data-testid="version" {
            strong { (version.display_version()) }
            @if let Some(title) = &version.notes.title { " " (title) }
            " · " small { (clock(version.created_at, now)) " · " (source_label(version.source)) }
            div {
                a href=(format!("{path}?compare={}", version.version)) data-testid="compare" { "compare with the working copy" }
                @if session.role.can_write() {
                    form.inline method="post" action=(format!("{path}/versions/{}/restore", version.version)) {
                        (csrf(session))
                        button.link type="submit" data-testid="restore" { "restore" }
                    }
                }
            }
        }
    }
}

fn source_label(source: VersionSource) -> &'static str {
    match source {
        VersionSource::Create => "created",
        VersionSource::Autosave => "checkpoint of an edit",
        VersionSource::Restore => "restored",
        VersionSource::ManualSave => "saved by hand",
    }
}

/// A version's text beside the working copy, line by line.
fn diff(prompt: &Prompt, version: &PromptVersion) -> Markup {
    let diff = TextDiff::from_lines(version.content.text.as_str(), prompt.content.text.as_str());
    html! {
        section.diff data-testid="diff" {
            h2 { (version.display_version()) " → working copy" }
            pre {
                @for change in diff.iter_all_changes() {
                    @match change.tag() {
                        ChangeTag::Delete => del { "− " (change.value()) },
                        ChangeTag::Insert => ins { "+ " (change.value()) },
                        ChangeTag::Equal => span { "  " (change.value()) },
                    }
                }
            }
        }
    }
}

/// POST /console/prompts/{id}/edit: the working copy's text, validated as the API validates it.
pub async fn edit(app: &App, session: &ConsoleSession, request: &Request) -> Reply {
    let id: PromptId = path_param(request, "id")?;
    let form = Form::of(request)?;
    let body = PromptEditBody { prompt: form.get("prompt").map(str::to_owned), ..PromptEditBody::default() };
    let edited = match PromptEdit::try_from(body) {
        Ok(edit) => prompts::edit_prompt(crate::prompts::ports(app), &session.principal(), &id, edit).await.map(|_| ()),
        Err(invalid) => Err(invalid.into()),
    };
    match edited {
        Ok(_) => Ok(web::see_other(&prompt_path(&id))),
        Err(AppError::Validation { message, .. }) => {
            let errors = Errors { text: Some(message), ..Errors::default() };
            render(app, session, &id, None, errors, StatusCode::BAD_REQUEST).await
        }
        Err(err) => Err(err.into()),
    }
}

/// POST /console/prompts/{id}/versions: the working copy saved as a version, with a title and note.
pub async fn save_version(app: &App, session: &ConsoleSession, request: &Request) -> Reply {
    let id: PromptId = path_param(request, "id")?;
    let form = Form::of(request)?;
    let body = ManualSaveBody {
        label: None,
        title: form.get("title").map(str::to_owned),
        description: form.get("description").map(str::to_owned),
    };
    let saved = match VersionNotes::try_from(body) {
        Ok(notes) => {
            prompts::save_version(&*app.store, &*app.clock, &session.principal(), &id, notes).await.map(|_| ())
        }
        Err(invalid) => Err(invalid.into()),
    };
    match saved {
        Ok(_) => Ok(web::see_other(&prompt_path(&id))),
        Err(AppError::Validation { message, .. }) => {
            let errors = Errors { save: Some(message), ..Errors::default() };
            render(app, session, &id, None, errors, StatusCode::BAD_REQUEST).await
        }
        Err(err) => Err(err.into()),
    }
}

/// POST /console/prompts/{id}/versions/{version}/restore
pub async fn restore(app: &App, session: &ConsoleSession, request: &Request) -> Reply {
    let id: PromptId = path_param(request, "id")?;
    let number = prompts::parse_version(&path_param::<String>(request, "version")?).map_err(|e| e.at("version"))?;
    prompts::restore_version(&*app.store, &*app.clock, &session.principal(), &id, number).await?;
    Ok(web::see_other(&prompt_path(&id)))
}
