use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

use super::{keys, to_item, DynamoStore, Listing, Record};
use crate::model::{Conversation, Message, Page, PageRequest};
use crate::ports::{ConversationStore, StoreError};

/// Claims (business number, contact) for one conversation.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConversationClaim {
    workspace_id: String,
    conversation_id: String,
}

#[async_trait]
impl ConversationStore for DynamoStore {
    async fn get_conversation(&self, workspace_id: &str, conversation_id: &str) -> Result<Option<Conversation>, StoreError> {
        let record: Option<Record<Conversation>> = self.get(keys::conversation(workspace_id, conversation_id)).await?;
        Ok(record.map(|record| record.data))
    }

    async fn find_conversation(&self, workspace_id: &str, phone_number_id: &str, wa_id: &str) -> Result<Option<Conversation>, StoreError> {
        let claim: Option<Record<ConversationClaim>> = self.get(keys::conversation_key(phone_number_id, wa_id)).await?;
        match claim {
            Some(claim) if claim.data.workspace_id == workspace_id => {
                self.get_conversation(workspace_id, &claim.data.conversation_id).await
            }
            _ => Ok(None),
        }
    }

    async fn save_conversation(&self, conversation: &Conversation, expected_revision: Option<u64>, messages: &[Message]) -> Result<(), StoreError> {
        let item = to_item(&Record::new(keys::conversation(&conversation.workspace_id, &conversation.id), conversation))?;
        let mut items = Vec::new();
        match expected_revision {
            None => {
                items.push(self.put(item, "attribute_not_exists(PK)", &[])?);
                let claim = ConversationClaim { workspace_id: conversation.workspace_id.clone(), conversation_id: conversation.id.clone() };
                let claim_key = keys::conversation_key(&conversation.phone_number_id, &conversation.contact.wa_id);
                items.push(self.put(to_item(&Record::new(claim_key, claim))?, "attribute_not_exists(PK)", &[])?);
            }
            Some(revision) => {
                items.push(self.put(item, "revision = :revision", &[(":revision", AttributeValue::N(revision.to_string()))])?);
            }
        }
        for message in messages {
            let item = to_item(&Record::new(keys::message(&message.conversation_id, &message.id), message))?;
            items.push(self.put(item, "attribute_not_exists(PK)", &[])?);
        }
        self.transact(items, "conversation").await
    }

    async fn list_conversations(&self, workspace_id: &str, page: &PageRequest) -> Result<Page<Conversation>, StoreError> {
        let listing = Listing { newest_first: true, contains: None };
        self.query_page(keys::workspace_pk(workspace_id), keys::CONVERSATION, page, listing).await
    }

    async fn list_messages(&self, conversation_id: &str, page: &PageRequest) -> Result<Page<Message>, StoreError> {
        let listing = Listing { newest_first: true, contains: None };
        self.query_page(keys::messages_pk(conversation_id), keys::MESSAGE, page, listing).await
    }
}
