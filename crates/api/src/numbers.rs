//! `/api/v1/whatsapp-numbers/`: the workspace's business numbers.

use super::{created, no_content, ok, Reply};
use crate::http::bodies::command;
use crate::http::bodies::numbers::NewNumberBody;
use crate::http::request::{page_request, path_param};
use crate::http::response::ListBody;
use crate::http::views::numbers::NumberView;
use crate::http::Request;
use crate::model::Principal;
use crate::App;
use colloquy_domain::numbers;

/// POST /api/v1/whatsapp-numbers/: registers a business number to the workspace.
pub async fn register(app: &App, who: &Principal, request: &Request) -> Reply {
    let number = numbers::register_number(&app.number_ports(), who, command::<NewNumberBody, _>(request)?).await?;
    created(&NumberView::from(&number))
}

/// GET /api/v1/whatsapp-numbers/
pub async fn list(app: &App, who: &Principal, request: &Request) -> Reply {
    let page_request = page_request(request)?;
    let page = numbers::list_numbers(&*app.store, who, &page_request).await?.map(|n| NumberView::from(&n));
    ok(&ListBody::from_page(page, "/api/v1/whatsapp-numbers/", page_request.limit, &[]))
}

/// DELETE /api/v1/whatsapp-numbers/{phoneNumberId}/: frees the number; its conversations stay.
pub async fn remove(app: &App, who: &Principal, request: &Request) -> Reply {
    numbers::remove_number(&app.number_ports(), who, &path_param::<String>(request, "phoneNumberId")?).await?;
    no_content()
}
