//! `/api/v1/policies/`: rules (keywords, patterns, detectors) on input, output or both.

use super::{created, no_content, ok, Reply};
use crate::http::bodies::command;
use crate::http::bodies::policies::{NewPolicyBody, PolicyChangeBody};
use crate::http::request::{page_request, path_param};
use crate::http::response::ListBody;
use crate::http::views::policies::{PolicyView, ViolationView};
use crate::http::Request;
use crate::model::Principal;
use crate::App;
use colloquy_domain::policies;

/// POST /api/v1/policies/: log, alert or block.
pub async fn create(app: &App, who: &Principal, request: &Request) -> Reply {
    let policy =
        policies::create_policy(&*app.policies, &*app.clock, who, command::<NewPolicyBody, _>(request)?).await?;
    created(&PolicyView::from(&policy))
}

/// GET /api/v1/policies/
pub async fn list(app: &App, who: &Principal, request: &Request) -> Reply {
    let page_request = page_request(request)?;
    let page = policies::list_policies(&*app.policies, who, &page_request).await?.map(|p| PolicyView::from(&p));
    ok(&ListBody::from_page(page, "/api/v1/policies/", page_request.limit, &[]))
}

/// GET /api/v1/policies/{id}/
pub async fn get(app: &App, who: &Principal, request: &Request) -> Reply {
    ok(&PolicyView::from(&policies::get_policy(&*app.policies, who, &path_param(request, "id")?).await?))
}

/// PATCH /api/v1/policies/{id}/: changes the fields given.
pub async fn update(app: &App, who: &Principal, request: &Request) -> Reply {
    let change = command::<PolicyChangeBody, _>(request)?;
    let policy = policies::change_policy(&*app.policies, &*app.clock, who, &path_param(request, "id")?, change).await?;
    ok(&PolicyView::from(&policy))
}

/// DELETE /api/v1/policies/{id}/
pub async fn delete(app: &App, who: &Principal, request: &Request) -> Reply {
    policies::delete_policy(&*app.policies, who, &path_param(request, "id")?).await?;
    no_content()
}

/// GET /api/v1/policy-violations/: newest first, each with its excerpt masked.
pub async fn violations(app: &App, who: &Principal, request: &Request) -> Reply {
    let page_request = page_request(request)?;
    let page = policies::list_violations(&*app.policies, who, &page_request).await?.map(|v| ViolationView::from(&v));
    ok(&ListBody::from_page(page, "/api/v1/policy-violations/", page_request.limit, &[]))
}
