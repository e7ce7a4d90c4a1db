//! `/api/v1/workspace/`: the caller's workspace and its settings.

use super::{ok, Reply};
use crate::http::bodies::workspace::WorkspaceChangeBody;
use crate::http::request::json_body;
use crate::http::views::WorkspaceView;
use crate::http::Request;
use crate::model::Principal;
use crate::App;
use colloquy_domain::workspaces;

/// GET /api/v1/workspace/: the workspace of the calling key, and the key's role.
pub async fn get(app: &App, who: &Principal, _request: &Request) -> Reply {
    let workspace = workspaces::current_workspace(&*app.store, who).await?;
    ok(&WorkspaceView::new(&workspace, who))
}

/// PATCH /api/v1/workspace/ (admin): the monthly token quota and the webhook for outbound
/// events (its address, and enabling or disabling it). A new webhook's signing secret is in this response only.
pub async fn update(app: &App, who: &Principal, request: &Request) -> Reply {
    let body: WorkspaceChangeBody = json_body(request)?;
    let (workspace, new_secret) =
        workspaces::change_settings(&*app.workspaces, &*app.store, who, body.parse(&app.outbound)?, app.clock.now())
            .await?;
    let mut view = WorkspaceView::new(&workspace, who);
    view.webhook_secret = new_secret;
    ok(&view)
}
