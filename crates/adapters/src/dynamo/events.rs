//! Outbound events and their delivery log, in their workspace's partition, kept a week.

use super::{keys, to_item, to_value, DynamoStore, Listing, Record};
use crate::model::{EventId, Page, PageRequest, WorkspaceId};
use crate::ports::{EventStore, StoreError};
use async_trait::async_trait;
use colloquy_domain::events::model::{Delivery, Event};

/// How long an event and its delivery log are kept.
const KEPT_DAYS: i64 = 7;

#[async_trait]
impl EventStore for DynamoStore {
    async fn save_event(&self, event: &Event) -> Result<(), StoreError> {
        let item = to_item(&Record::new(keys::event(&event.workspace_id, &event.id), event))?;
        self.put_new_expiring(item, event.created_at + time::Duration::days(KEPT_DAYS), "event").await
    }

    async fn get_event(&self, workspace_id: &WorkspaceId, event_id: &EventId) -> Result<Option<Event>, StoreError> {
        self.get_as::<Event, _>(keys::event(workspace_id, event_id)).await
    }

    async fn list_events(&self, workspace_id: &WorkspaceId, page: &PageRequest) -> Result<Page<Event>, StoreError> {
        let listing = Listing { newest_first: true, ..Listing::default() };
        self.page_as::<Event, _>(keys::workspace_pk(workspace_id), keys::EVENT, page, listing).await
    }

    async fn save_delivery(
        &self,
        workspace_id: &WorkspaceId,
        event_id: &EventId,
        delivery: &Delivery,
    ) -> Result<(), StoreError> {
        self.update_if(
            keys::event(workspace_id, event_id),
            "SET delivery = :delivery",
            "attribute_exists(PK)",
            vec![(":delivery", to_value(delivery)?)],
            "the event is gone (events are kept a week)",
        )
        .await
    }
}
