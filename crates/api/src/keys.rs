//! `/api/v1/api-keys/`: the workspace's keys (admin only), shown once.

use super::{created, no_content, ok, Reply};
use crate::http::bodies::command;
use crate::http::bodies::workspace::NewKeyBody;
use crate::http::request::{page_request, path_param};
use crate::http::response::ListBody;
use crate::http::views::{ApiKeyView, CreatedKeyView};
use crate::http::Request;
use crate::model::Principal;
use crate::App;
use colloquy_domain::api_keys;

const PATH: &str = "/api/v1/api-keys/";

/// POST /api/v1/api-keys/: a new key for the caller's workspace; its secret is in this answer only.
pub async fn create(app: &App, who: &Principal, request: &Request) -> Reply {
    let issued = api_keys::create_key(&*app.store, &*app.clock, who, command::<NewKeyBody, _>(request)?).await?;
    tracing::info!(workspace = %who.workspace_id, created = %issued.key.prefix, role = %issued.key.role, "API key created");
    created(&CreatedKeyView::from(&issued))
}

/// GET /api/v1/api-keys/: the workspace's keys, without their secrets.
pub async fn list(app: &App, who: &Principal, request: &Request) -> Reply {
    let page_request = page_request(request)?;
    let page = api_keys::list_keys(&*app.store, who, &page_request).await?.map(|key| ApiKeyView::from(&key));
    ok(&ListBody::from_page(page, PATH, page_request.limit, &[]))
}

/// DELETE /api/v1/api-keys/{prefix}/: the key stops working at once.
pub async fn revoke(app: &App, who: &Principal, request: &Request) -> Reply {
    api_keys::revoke_key(&*app.store, who, &path_param::<String>(request, "prefix")?).await?;
    no_content()
}
