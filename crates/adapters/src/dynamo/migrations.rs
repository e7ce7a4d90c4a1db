//! One-off changes to items written by earlier versions, run by `colloquy-admin`.

use aws_sdk_dynamodb::types::AttributeValue;

use super::conversations::ListedConversation;
use super::{keys, to_item, unavailable, DynamoStore, Item, Record};
use crate::model::ConversationId;
use crate::ports::StoreError;

impl DynamoStore {
    /// Moves every conversation an earlier version kept in its workspace's partition into its
    /// own partition, above its messages (one Query then reads both), leaving the workspace a
    /// listing entry, and puts it on the activity index if it was not (the console's inbox).
    /// Returns how many were moved. Safe to run again: a moved conversation is not found again.
    pub async fn migrate_conversations(&self) -> Result<u64, StoreError> {
        let mut moved = 0;
        let mut start = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression(
                    "begins_with(PK, :workspace) AND begins_with(SK, :conversation) AND attribute_exists(updatedAt)",
                )
                .expression_attribute_values(":workspace", AttributeValue::S("WS#".to_owned()))
                .expression_attribute_values(":conversation", AttributeValue::S(keys::CONVERSATION.to_owned()))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(unavailable)?;
            for item in page.items.unwrap_or_default() {
                if self.move_conversation(item).await? {
                    moved += 1;
                }
            }
            match page.last_evaluated_key {
                Some(last) => start = Some(last),
                None => return Ok(moved),
            }
        }
    }

    /// `false` when the item is not a conversation of the old layout, or moved meanwhile.
    async fn move_conversation(&self, mut item: Item) -> Result<bool, StoreError> {
        let text = |item: &Item, name: &str| match item.get(name) {
            Some(AttributeValue::S(value)) => Some(value.clone()),
            _ => None,
        };
        let (Some(pk), Some(sk), Some(updated_at)) =
            (text(&item, keys::PK), text(&item, keys::SK), text(&item, "updatedAt"))
        else {
            return Ok(false);
        };
        let (Some(workspace), Some(conversation)) = (pk.strip_prefix("WS#"), sk.strip_prefix(keys::CONVERSATION))
        else {
            return Ok(false);
        };
        let (new_pk, new_sk) = keys::conversation(workspace, conversation);
        item.insert(keys::PK.to_owned(), AttributeValue::S(new_pk));
        item.insert(keys::SK.to_owned(), AttributeValue::S(new_sk));
        if !item.contains_key(keys::GSI3PK) {
            item.insert(keys::GSI3PK.to_owned(), AttributeValue::S(keys::activity_partition(workspace)));
            item.insert(keys::GSI3SK.to_owned(), AttributeValue::S(keys::activity_sort(&updated_at, conversation)));
        }
        let listed = ListedConversation { conversation_id: ConversationId::from(conversation) };
        let listing = to_item(&Record::new((pk, sk), listed))?;
        let writes = vec![
            self.put(item, "attribute_not_exists(PK)", &[])?,
            // Replaces the old item (and takes it off the indexes) only if it is still the old one.
            self.put(listing, "attribute_exists(updatedAt)", &[])?,
        ];
        match self.transact(writes, "conversation move").await {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict(_)) => Ok(false),
            Err(err) => Err(err),
        }
    }

    /// Indexes every WhatsApp conversation under its contact (`CONTACT#<ws>#<waId>`), as this
    /// version does when it creates one, from the claims earlier versions wrote: what a contact's
    /// export and erasure read. Returns how many claims it indexed; safe to run again.
    pub async fn index_contacts(&self) -> Result<u64, StoreError> {
        let mut indexed = 0;
        let mut start = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("begins_with(PK, :claim)")
                .expression_attribute_values(":claim", AttributeValue::S("CONVKEY#".to_owned()))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(unavailable)?;
            for item in page.items.unwrap_or_default() {
                let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
                let (Some(pk), Some(conversation)) = (text(keys::PK), text("conversationId")) else { continue };
                // CONVKEY#<workspace>#<number>#<contact>
                let mut parts = pk.splitn(4, '#').skip(1);
                let (Some(workspace), Some(_number), Some(wa_id)) = (parts.next(), parts.next(), parts.next()) else {
                    continue;
                };
                let listed = ListedConversation { conversation_id: ConversationId::from(conversation.as_str()) };
                let entry = to_item(&Record::new(keys::contact_conversation(workspace, wa_id, &conversation), listed))?;
                self.client
                    .put_item()
                    .table_name(&self.table)
                    .set_item(Some(entry))
                    .send()
                    .await
                    .map_err(unavailable)?;
                indexed += 1;
            }
            match page.last_evaluated_key {
                Some(last) => start = Some(last),
                None => return Ok(indexed),
            }
        }
    }
}
