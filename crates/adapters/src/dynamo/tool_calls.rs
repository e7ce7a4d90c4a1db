use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

use super::records::message_item;
use super::{keys, to_item, unavailable, DynamoStore, Record};
use crate::model::{timestamp, Conversation, ConversationId, Message, MessageId, WorkspaceId};
use crate::ports::{DueApproval, StoreError, ToolCallStore};
use colloquy_domain::tools::call::ToolCallStatus;
use colloquy_domain::usage::model::UsageDelta;

/// The item that watches a call awaiting approval (sparse in the scheduled-work index).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApprovalWatch {
    conversation_id: ConversationId,
    message_id: MessageId,
    expires_at: String,
}

impl DynamoStore {
    fn watch_item(&self, due: &DueApproval) -> Result<super::Item, StoreError> {
        let watch = ApprovalWatch {
            conversation_id: due.conversation_id.clone(),
            message_id: due.message_id.clone(),
            expires_at: timestamp::format(due.expires_at),
        };
        let mut item = to_item(&Record::new(
            keys::approval_watch(&due.workspace_id, &due.conversation_id, &due.message_id),
            watch,
        ))?;
        let shard = keys::follow_up_shard(&due.message_id);
        item.insert(keys::GSI2PK.to_owned(), AttributeValue::S(keys::approval_partition(shard)));
        item.insert(keys::GSI2SK.to_owned(), AttributeValue::S(timestamp::format(due.expires_at)));
        Ok(item)
    }
}

#[async_trait]
impl ToolCallStore for DynamoStore {
    async fn save_tool_calls(
        &self,
        conversation: &Conversation,
        expected_revision: u64,
        calls: &[Message],
        watches: &[DueApproval],
        usage: &UsageDelta,
    ) -> Result<(), StoreError> {
        let mut items = self.conversation_items(conversation, Some(expected_revision))?;
        items.extend(self.usage_items(usage)?);
        for call in calls {
            let item = message_item(call)?;
            items.push(self.put(item, "attribute_not_exists(PK)", &[])?);
        }
        for watch in watches {
            items.push(self.put(self.watch_item(watch)?, "attribute_not_exists(PK)", &[])?);
        }
        self.transact(items, "tool calls").await
    }

    async fn update_tool_call(&self, message: &Message, expected: ToolCallStatus) -> Result<(), StoreError> {
        let item = message_item(message)?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("toolCall.#status = :expected")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":expected", AttributeValue::S(expected.as_str().to_owned()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => {
                Err(StoreError::Conflict("the tool call was decided or moved on".into()))
            }
            Err(err) => Err(unavailable(err)),
        }
    }

    async fn awaiting_approval(&self, workspace_id: &WorkspaceId, limit: u32) -> Result<Vec<DueApproval>, StoreError> {
        let page = crate::model::PageRequest { limit, cursor: None };
        let watches: crate::model::Page<ApprovalWatch> = self
            .query_page(keys::workspace_pk(workspace_id), keys::APPROVAL_WATCH, &page, super::Listing::default())
            .await?;
        let mut due: Vec<DueApproval> = watches
            .items
            .into_iter()
            .filter_map(|watch| {
                Some(DueApproval {
                    workspace_id: workspace_id.clone(),
                    conversation_id: watch.conversation_id,
                    message_id: watch.message_id,
                    expires_at: timestamp::parse(&watch.expires_at)?,
                })
            })
            .collect();
        due.sort_by_key(|watch| watch.expires_at);
        Ok(due)
    }

    async fn end_approval_watch(
        &self,
        workspace_id: &WorkspaceId,
        conversation_id: &ConversationId,
        message_id: &MessageId,
    ) -> Result<(), StoreError> {
        self.delete_one(keys::approval_watch(workspace_id, conversation_id, message_id)).await.map(|_| ())
    }
}
