//! `/api/v1/dead-letters/`: the triggers the worker gave up on, and sending one back.

use super::{ok, Reply};
use crate::http::request::{page_request, path_param};
use crate::http::response::ListBody;
use crate::http::views::dead_letters::DeadLetterView;
use crate::http::Request;
use crate::model::Principal;
use crate::App;
use colloquy_domain::dead_letters;

/// GET /api/v1/dead-letters/: newest first.
pub async fn list(app: &App, who: &Principal, request: &Request) -> Reply {
    let page_request = page_request(request)?;
    let page = dead_letters::list(&*app.store, who, &page_request).await?.map(|d| DeadLetterView::from(&d));
    ok(&ListBody::from_page(page, "/api/v1/dead-letters/", page_request.limit, &[]))
}

/// POST /api/v1/dead-letters/{id}/redrive/: back onto the trigger queue, once.
pub async fn redrive(app: &App, who: &Principal, request: &Request) -> Reply {
    let id: String = path_param(request, "id")?;
    let dead = dead_letters::redrive(&*app.store, &*app.queue, &*app.clock, who, &id).await?;
    ok(&DeadLetterView::from(&dead))
}
