//! `/api/v1/test-suites/`: scenarios an agent is put through before a version is promoted.

use super::{created, no_content, ok, Reply};
use crate::http::bodies::command;
use crate::http::bodies::test_suites::{NewTestSuiteBody, TestSuiteChangeBody};
use crate::http::request::{page_request, path_param};
use crate::http::response::ListBody;
use crate::http::views::test_suites::TestSuiteView;
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
