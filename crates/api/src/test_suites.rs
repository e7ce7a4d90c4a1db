//! `/api/v1/test-suites/`: scenarios an agent is put through before a version is promoted.

use super::{accepted, created, no_content, ok, Reply};
use crate::http::bodies::command;
use crate::http::bodies::test_suites::{NewTestSuiteBody, StartRunBody, TestSuiteChangeBody};
use crate::http::error::named;
use crate::http::request::{page_request, path_param};
use crate::http::response::ListBody;
use crate::http::views::test_suites::{TestRunView, TestSuiteView};
use crate::http::Request;
use crate::model::Principal;
use crate::App;
use colloquy_domain::test_suites;

/// POST /api/v1/test-suites/
pub async fn create(app: &App, who: &Principal, request: &Request) -> Reply {
    let new = command::<NewTestSuiteBody, _>(request)?;
    let suite = test_suites::create(&*app.store, &*app.clock, who, new).await?;
    tracing::info!(workspace = %who.workspace_id, suite = %suite.id, scenarios = suite.scenarios.len(), "test suite created");
    created(&TestSuiteView::from(&suite))
}

/// GET /api/v1/test-suites/: oldest first.
pub async fn list(app: &App, who: &Principal, request: &Request) -> Reply {
    let page_request = page_request(request)?;
    let page = test_suites::list(&*app.store, who, &page_request).await?.map(|s| TestSuiteView::from(&s));
    ok(&ListBody::from_page(page, "/api/v1/test-suites/", page_request.limit, &[]))
}

/// GET /api/v1/test-suites/{id}/
pub async fn get(app: &App, who: &Principal, request: &Request) -> Reply {
    ok(&TestSuiteView::from(&test_suites::get(&*app.store, who, &path_param(request, "id")?).await?))
}

/// PATCH /api/v1/test-suites/{id}/: its name, description, or all its scenarios.
pub async fn update(app: &App, who: &Principal, request: &Request) -> Reply {
    let change = command::<TestSuiteChangeBody, _>(request)?;
    let suite = test_suites::change(&*app.store, &*app.clock, who, &path_param(request, "id")?, change).await?;
    ok(&TestSuiteView::from(&suite))
}

/// DELETE /api/v1/test-suites/{id}/
pub async fn delete(app: &App, who: &Principal, request: &Request) -> Reply {
    test_suites::delete(&*app.store, who, &path_param(request, "id")?).await?;
    no_content()
}

/// POST /api/v1/test-suites/{id}/runs/: 202 with the run, its scenarios `running`; the worker
/// plays them at once, each in its own sandbox conversation.
pub async fn start_run(app: &App, who: &Principal, request: &Request) -> Reply {
    let start = command::<StartRunBody, _>(request)?;
    let suite = path_param(request, "id")?;
    let run = test_suites::runs::start(&app.run_ports(), who, &suite, start).await.map_err(named)?;
    accepted(&TestRunView::new(&run, &[]))
}

/// GET /api/v1/test-suites/{id}/runs/{runId}/
pub async fn get_run(app: &App, who: &Principal, request: &Request) -> Reply {
    let (suite, run) = (path_param(request, "id")?, path_param(request, "runId")?);
    let (run, results) = test_suites::runs::get(&*app.store, who, &suite, &run).await?;
    ok(&TestRunView::new(&run, &results))
}
