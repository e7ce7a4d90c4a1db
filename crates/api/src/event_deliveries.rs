//! `/api/v1/event-deliveries/`: the workspace's outbound events, how each delivery went, and
//! sending one again.

use super::{ok, Reply};
use crate::http::request::{page_request, path_param};
use crate::http::response::ListBody;
use crate::http::views::event_deliveries::EventDeliveryView;
use crate::http::Request;
use crate::model::{EventId, Principal};
use crate::App;
use colloquy_domain::events;

/// GET /api/v1/event-deliveries/: newest first, a week back.
pub async fn list(app: &App, who: &Principal, request: &Request) -> Reply {
    let page_request = page_request(request)?;
    let page = events::list_deliveries(&*app.store, who, &page_request).await?.map(|e| EventDeliveryView::from(&e));
    ok(&ListBody::from_page(page, "/api/v1/event-deliveries/", page_request.limit, &[]))
}

/// POST /api/v1/event-deliveries/{id}/replay/: queued for delivery again.
pub async fn replay(app: &App, who: &Principal, request: &Request) -> Reply {
    let id: EventId = path_param(request, "id")?;
    let event = events::replay(&*app.store, &*app.store, &*app.queue, &*app.clock, who, &id).await?;
    ok(&EventDeliveryView::from(&event))
}
