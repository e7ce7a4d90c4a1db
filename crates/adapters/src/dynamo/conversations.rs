use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

use super::records::{message_item, StoredConversation, StoredMessage};
use super::unavailable;
use super::{keys, to_item, to_value, DynamoStore, Listing, Record};
use crate::model::{
    timestamp, Amendment, Conversation, ConversationId, DeliveryStatus, Message, MessageError, MessageId, Page,
    PageRequest, WorkspaceId,
};
use crate::ports::{ConversationRef, ConversationStore, InboundUpdate, MessageRef, OutboundRef, StoreError};
use colloquy_domain::usage::model::UsageDelta;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct InboundClaim {
    conversation_id: ConversationId,
    message_id: MessageId,
}

/// Every status below `status`: the ones it may replace.
fn lower_statuses(status: DeliveryStatus) -> Vec<&'static str> {
    use DeliveryStatus::*;
    [Received, Pending, Skipped, Sent, Delivered, Read, Failed]
        .into_iter()
        .filter(|s| s.rank() < status.rank())
        .map(|s| match s {
            Received => "received",
            Pending => "pending",
            Skipped => "skipped",
            Sent => "sent",
            Delivered => "delivered",
            Read => "read",
            Failed => "failed",
        })
        .collect()
}

impl DynamoStore {
    /// The tokens added to the workspace's and the agent's counters for the day.
    pub(super) fn usage_items(
        &self,
        usage: &UsageDelta,
    ) -> Result<[aws_sdk_dynamodb::types::TransactWriteItem; 2], StoreError> {
        let agent_key = keys::usage_agent(&usage.workspace_id, &usage.day, &usage.agent_id);
        Ok([
            self.add_tokens(keys::usage_day(&usage.workspace_id, &usage.day), usage, None)?,
            self.add_tokens(agent_key, usage, Some(&usage.agent_id))?,
        ])
    }

    fn add_tokens(
        &self,
        (pk, sk): (String, String),
        usage: &UsageDelta,
        agent_id: Option<&str>,
    ) -> Result<aws_sdk_dynamodb::types::TransactWriteItem, StoreError> {
        let number = |n: u64| AttributeValue::N(n.to_string());
        let mut update = aws_sdk_dynamodb::types::Update::builder()
            .table_name(&self.table)
            .key(keys::PK, AttributeValue::S(pk))
            .key(keys::SK, AttributeValue::S(sk))
            .update_expression(if agent_id.is_some() {
                "ADD inputTokens :input, cachedInputTokens :cachedInput, outputTokens :output, calls :calls, analysisInputTokens :analysisInput, analysisOutputTokens :analysisOutput, analysisCalls :analysisCalls, transcribedSeconds :seconds, testInputTokens :testInput, testOutputTokens :testOutput, testCalls :testCalls SET #day = :day, agentId = :agent"
            } else {
                "ADD inputTokens :input, cachedInputTokens :cachedInput, outputTokens :output, calls :calls, analysisInputTokens :analysisInput, analysisOutputTokens :analysisOutput, analysisCalls :analysisCalls, transcribedSeconds :seconds, testInputTokens :testInput, testOutputTokens :testOutput, testCalls :testCalls SET #day = :day"
            })
            .expression_attribute_values(":analysisInput", number(usage.tokens.analysis_input_tokens))
            .expression_attribute_values(":analysisOutput", number(usage.tokens.analysis_output_tokens))
            .expression_attribute_values(":analysisCalls", number(usage.tokens.analysis_calls))
            .expression_attribute_values(":seconds", number(usage.tokens.transcribed_seconds))
            .expression_attribute_values(":testInput", number(usage.tokens.test_input_tokens))
            .expression_attribute_values(":testOutput", number(usage.tokens.test_output_tokens))
            .expression_attribute_values(":testCalls", number(usage.tokens.test_calls))
            .expression_attribute_names("#day", "day")
            .expression_attribute_values(":input", number(usage.tokens.input_tokens))
            .expression_attribute_values(":cachedInput", number(usage.tokens.cached_input_tokens))
            .expression_attribute_values(":output", number(usage.tokens.output_tokens))
            .expression_attribute_values(":calls", number(usage.tokens.calls))
            .expression_attribute_values(":day", AttributeValue::S(usage.day.clone()));
        if let Some(agent) = agent_id {
            update = update.expression_attribute_values(":agent", AttributeValue::S(agent.to_owned()));
        }
        let update = update.build().map_err(|err| StoreError::Unavailable(err.to_string()))?;
        Ok(aws_sdk_dynamodb::types::TransactWriteItem::builder().update(update).build())
    }

    /// The workspace's conversations, newest activity first.
    fn activity_query(
        &self,
        workspace_id: &WorkspaceId,
        limit: i32,
    ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.table)
            .index_name(keys::ACTIVITY_INDEX)
            .key_condition_expression("#partition = :partition")
            .expression_attribute_names("#partition", keys::GSI3PK)
            .expression_attribute_values(":partition", AttributeValue::S(keys::activity_partition(workspace_id)))
            .scan_index_forward(false)
            .limit(limit)
    }

    pub(super) fn conversation_items(
        &self,
        conversation: &Conversation,
        expected_revision: Option<u64>,
    ) -> Result<Vec<aws_sdk_dynamodb::types::TransactWriteItem>, StoreError> {
        let mut item = to_item(&Record::new(
            keys::conversation(&conversation.workspace_id, &conversation.id),
            StoredConversation::from(conversation),
        ))?;
        if let Some(due) = conversation.follow_up_due_at {
            let shard = keys::follow_up_shard(&conversation.id);
            let sort = keys::follow_up_sort(&crate::model::timestamp::format(due), conversation.follow_ups_sent + 1);
            item.insert(keys::GSI1PK.to_owned(), AttributeValue::S(keys::follow_up_partition(shard)));
            item.insert(keys::GSI1SK.to_owned(), AttributeValue::S(sort));
        }
        // A test run's conversation is not the workspace's traffic: not in its activity (the
        // console's inbox, the versions compared), nor in its listing (below).
        let live = !conversation.channel.is_test();
        if live {
            let activity = keys::activity_sort(&timestamp::format(conversation.updated_at), &conversation.id);
            item.insert(
                keys::GSI3PK.to_owned(),
                AttributeValue::S(keys::activity_partition(&conversation.workspace_id)),
            );
            item.insert(keys::GSI3SK.to_owned(), AttributeValue::S(activity));
        }
        if let Some(due) = conversation.analysis_due_at {
            let shard = keys::follow_up_shard(&conversation.id);
            item.insert(keys::GSI2PK.to_owned(), AttributeValue::S(keys::analysis_partition(shard)));
            item.insert(keys::GSI2SK.to_owned(), AttributeValue::S(crate::model::timestamp::format(due)));
        }
        let mut items = Vec::new();
        match expected_revision {
            None => {
                items.push(self.put(item, "attribute_not_exists(PK)", &[])?);
                // Listed even when a test's, so that the retention sweep reaches it;
                // `list_conversations` leaves it out.
                let listed = ListedConversation { conversation_id: conversation.id.clone() };
                let listing = keys::conversation_listing(&conversation.workspace_id, &conversation.id);
                items.push(self.put(to_item(&Record::new(listing, listed))?, "attribute_not_exists(PK)", &[])?);
                // A WhatsApp conversation claims its (business number, contact); an API-only one
                // has neither.
                if let Some((phone_number_id, contact)) = conversation.party() {
                    let claim = ConversationClaim {
                        workspace_id: conversation.workspace_id.clone(),
                        conversation_id: conversation.id.clone(),
                    };
                    let claim_key = keys::conversation_key(&conversation.workspace_id, phone_number_id, &contact.wa_id);
                    items.push(self.put(to_item(&Record::new(claim_key, claim))?, "attribute_not_exists(PK)", &[])?);
                    // The contact's index: what export and erasure read, on any number.
                    let listed = ListedConversation { conversation_id: conversation.id.clone() };
                    let indexed =
                        keys::contact_conversation(&conversation.workspace_id, &contact.wa_id, &conversation.id);
                    items.push(self.put_unconditional(to_item(&Record::new(indexed, listed))?)?);
                }
            }
            Some(revision) => {
                items.push(self.put(
                    item,
                    "revision = :revision",
                    &[(":revision", AttributeValue::N(revision.to_string()))],
                )?);
            }
        }
        Ok(items)
    }
}

/// A conversation's entry in its workspace's partition: listing reads these, then the
/// conversations they name.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ListedConversation {
    pub conversation_id: ConversationId,
}

/// Claims (business number, contact) for one conversation.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConversationClaim {
    workspace_id: WorkspaceId,
    conversation_id: ConversationId,
}

/// The key that claims an inbound message's wamid, so a redelivery is stored once. A message
/// without one (or with an empty one) is refused: it would claim `WAMID#` for every such message.
fn claim_key(message: &Message) -> Result<(String, String), StoreError> {
    match message.wamid.as_deref() {
        Some(wamid) if !wamid.is_empty() => Ok(keys::inbound_wamid(wamid)),
        _ => Err(StoreError::Corrupt(format!("inbound message {} has no wamid to claim", message.id))),
    }
}

#[async_trait]
impl ConversationStore for DynamoStore {
    async fn get_conversation(
        &self,
        workspace_id: &WorkspaceId,
        conversation_id: &ConversationId,
    ) -> Result<Option<Conversation>, StoreError> {
        let record: Option<Record<StoredConversation>> =
            self.get(keys::conversation(workspace_id, conversation_id)).await?;
        record.map(|record| Conversation::try_from(record.data)).transpose()
    }

    /// One Query, newest first from the conversation's item down through its messages.
    async fn load_conversation(
        &self,
        workspace_id: &WorkspaceId,
        conversation_id: &ConversationId,
        history: u32,
    ) -> Result<Option<(Conversation, Vec<Message>)>, StoreError> {
        let (pk, state) = keys::conversation(workspace_id, conversation_id);
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND SK BETWEEN :messages AND :state")
            .expression_attribute_values(":pk", AttributeValue::S(pk))
            .expression_attribute_values(":messages", AttributeValue::S(keys::MESSAGE.to_owned()))
            .expression_attribute_values(":state", AttributeValue::S(state.clone()))
            .scan_index_forward(false)
            .limit(i32::try_from(history.saturating_add(1)).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(unavailable)?;
        let mut items = output.items.unwrap_or_default().into_iter();
        // Another workspace's conversation of this id has another state key: nothing is read.
        let Some(first) =
            items.next().filter(|item| matches!(item.get(keys::SK), Some(AttributeValue::S(sk)) if *sk == state))
        else {
            return Ok(None);
        };
        let conversation = Conversation::try_from(crate::dynamo::from_item::<Record<StoredConversation>>(first)?.data)?;
        let messages = items
            .map(|item| {
                crate::dynamo::from_item::<Record<StoredMessage>>(item).map(|record| Message::from(record.data))
            })
            .collect::<Result<_, _>>()?;
        Ok(Some((conversation, messages)))
    }

    async fn find_conversation(
        &self,
        workspace_id: &WorkspaceId,
        phone_number_id: &str,
        wa_id: &str,
    ) -> Result<Option<Conversation>, StoreError> {
        let claim: Option<Record<ConversationClaim>> =
            self.get(keys::conversation_key(workspace_id, phone_number_id, wa_id)).await?;
        match claim {
            Some(claim) if claim.data.workspace_id == *workspace_id => {
                self.get_conversation(workspace_id, &claim.data.conversation_id).await
            }
            _ => Ok(None),
        }
    }

    async fn save_conversation(
        &self,
        conversation: &Conversation,
        expected_revision: Option<u64>,
        messages: &[Message],
    ) -> Result<(), StoreError> {
        let mut items = self.conversation_items(conversation, expected_revision)?;
        for message in messages {
            let item = message_item(message)?;
            items.push(self.put(item, "attribute_not_exists(PK)", &[])?);
        }
        self.transact(items, "conversation").await
    }

    async fn save_inbound(
        &self,
        conversation: &Conversation,
        expected_revision: Option<u64>,
        message: &Message,
    ) -> Result<(), StoreError> {
        let mut items = self.conversation_items(conversation, expected_revision)?;
        let claim = InboundClaim { conversation_id: conversation.id.clone(), message_id: message.id.clone() };
        items.push(self.put(to_item(&Record::new(claim_key(message)?, claim))?, "attribute_not_exists(PK)", &[])?);
        let item = message_item(message)?;
        items.push(self.put(item, "attribute_not_exists(PK)", &[])?);
        self.transact(items, "inbound message").await
    }

    async fn inbound_seen(&self, wamid: &str) -> Result<bool, StoreError> {
        let claim: Option<Record<InboundClaim>> = self.get(keys::inbound_wamid(wamid)).await?;
        Ok(claim.is_some())
    }

    async fn record_inbound(
        &self,
        conversation: &ConversationRef,
        update: &InboundUpdate,
        message: &Message,
    ) -> Result<(), StoreError> {
        let (pk, sk) = keys::conversation(&conversation.workspace_id, &conversation.conversation_id);
        let mut set = vec![
            "lastInboundAt = :at",
            "lastMessage = :preview",
            "updatedAt = :now",
            "followUpsSent = :zero",
            "GSI3PK = :activityPartition",
            "GSI3SK = :activity",
        ];
        if update.contact_name.is_some() {
            set.push("contact.#name = :name");
        }
        let expression =
            format!("SET {} ADD revision :one REMOVE followUpDueAt, doneAt, doneBy, GSI1PK, GSI1SK", set.join(", "));
        let mut builder = aws_sdk_dynamodb::types::Update::builder()
            .table_name(&self.table)
            .key(keys::PK, AttributeValue::S(pk))
            .key(keys::SK, AttributeValue::S(sk))
            .update_expression(expression)
            // Timestamps are fixed-width UTC, so they compare as text.
            .condition_expression(
                "attribute_exists(PK) AND (attribute_not_exists(lastInboundAt) OR lastInboundAt <= :at)",
            )
            .expression_attribute_values(":at", AttributeValue::S(timestamp::format(update.sent_at)))
            .expression_attribute_values(":preview", AttributeValue::S(update.preview.clone()))
            .expression_attribute_values(":now", AttributeValue::S(timestamp::format(update.now)))
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .expression_attribute_values(
                ":activityPartition",
                AttributeValue::S(keys::activity_partition(&conversation.workspace_id)),
            )
            .expression_attribute_values(
                ":activity",
                AttributeValue::S(keys::activity_sort(&timestamp::format(update.now), &conversation.conversation_id)),
            )
            .expression_attribute_values(":one", AttributeValue::N("1".into()));
        if let Some(name) = &update.contact_name {
            builder = builder
                .expression_attribute_names("#name", "name")
                .expression_attribute_values(":name", AttributeValue::S(name.clone()));
        }
        let update = builder.build().map_err(|err| StoreError::Unavailable(err.to_string()))?;
        let claim =
            InboundClaim { conversation_id: conversation.conversation_id.clone(), message_id: message.id.clone() };
        let items = vec![
            aws_sdk_dynamodb::types::TransactWriteItem::builder().update(update).build(),
            self.put(to_item(&Record::new(claim_key(message)?, claim))?, "attribute_not_exists(PK)", &[])?,
            self.put(message_item(message)?, "attribute_not_exists(PK)", &[])?,
        ];
        self.transact(items, "inbound message").await
    }

    async fn find_inbound(&self, wamid: &str) -> Result<Option<MessageRef>, StoreError> {
        let claim: Option<Record<InboundClaim>> = self.get(keys::inbound_wamid(wamid)).await?;
        Ok(claim.map(|c| MessageRef { conversation_id: c.data.conversation_id, message_id: c.data.message_id }))
    }

    async fn amend_message(&self, target: &MessageRef, amendment: &Amendment) -> Result<bool, StoreError> {
        let (pk, sk) = keys::message(&target.conversation_id, &target.message_id);
        let request = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(keys::PK, AttributeValue::S(pk))
            .key(keys::SK, AttributeValue::S(sk))
            .condition_expression("attribute_exists(PK)");
        let request = match amendment {
            Amendment::Reaction(Some(emoji)) => request
                .update_expression("SET #reaction = :emoji")
                .expression_attribute_names("#reaction", "reaction")
                .expression_attribute_values(":emoji", AttributeValue::S(emoji.clone())),
            Amendment::Reaction(None) => {
                request.update_expression("REMOVE #reaction").expression_attribute_names("#reaction", "reaction")
            }
            Amendment::Edited { text, blocked_by } => {
                let request = request
                    .expression_attribute_names("#text", "text")
                    .expression_attribute_names("#edited", "edited")
                    .expression_attribute_values(":text", AttributeValue::S(text.clone()))
                    .expression_attribute_values(":yes", AttributeValue::Bool(true));
                match blocked_by {
                    // A blocked edit marks the message blocked; a clean one never unblocks it.
                    Some(policy) => request
                        .update_expression("SET #text = :text, #edited = :yes, #error = :error")
                        .expression_attribute_names("#error", "error")
                        .expression_attribute_values(":error", to_value(&MessageError::blocked_by(policy))?),
                    None => request.update_expression("SET #text = :text, #edited = :yes"),
                }
            }
            // The contact deleted it: its words are not kept.
            Amendment::Revoked => request
                .update_expression("SET #deleted = :yes REMOVE #text")
                .expression_attribute_names("#deleted", "deleted")
                .expression_attribute_names("#text", "text")
                .expression_attribute_values(":yes", AttributeValue::Bool(true)),
        };
        match request.send().await {
            Ok(_) => Ok(true),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(false),
            Err(err) => Err(unavailable(err)),
        }
    }

    async fn record_delivery(&self, workspace_id: &WorkspaceId, message: &Message) -> Result<(), StoreError> {
        let mut items = vec![self.put(message_item(message)?, "attribute_exists(PK)", &[])?];
        let mut wamids: Vec<&String> = message.sent_parts.iter().collect();
        wamids.dedup();
        for wamid in wamids {
            let pointer = OutboundRef {
                workspace_id: workspace_id.to_owned(),
                conversation_id: message.conversation_id.clone(),
                message_id: message.id.clone(),
            };
            // Rewritten on a resumed delivery: the pointer is the same either way.
            items.push(self.put_unconditional(to_item(&Record::new(keys::outbound_wamid(wamid), pointer))?)?);
        }
        self.transact(items, "outbound message").await
    }

    async fn find_outbound(&self, wamid: &str) -> Result<Option<OutboundRef>, StoreError> {
        let pointer: Option<Record<OutboundRef>> = self.get(keys::outbound_wamid(wamid)).await?;
        Ok(pointer.map(|record| record.data))
    }

    async fn advance_status(
        &self,
        conversation_id: &ConversationId,
        message_id: &MessageId,
        status: DeliveryStatus,
        error: Option<&MessageError>,
    ) -> Result<bool, StoreError> {
        let lower = lower_statuses(status);
        if lower.is_empty() {
            return Ok(false);
        }
        let (pk, sk) = keys::message(conversation_id, message_id);
        let placeholders: Vec<String> = (0..lower.len()).map(|i| format!(":lower{i}")).collect();
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(keys::PK, AttributeValue::S(pk))
            .key(keys::SK, AttributeValue::S(sk))
            .update_expression(if error.is_some() {
                "SET #status = :status, #error = :error"
            } else {
                "SET #status = :status"
            })
            .condition_expression(format!("attribute_exists(PK) AND #status IN ({})", placeholders.join(", ")))
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":status", super::to_value(&status)?);
        if let Some(error) = error {
            request = request
                .expression_attribute_names("#error", "error")
                .expression_attribute_values(":error", super::to_value(error)?);
        }
        for (placeholder, value) in placeholders.iter().zip(lower) {
            request = request.expression_attribute_values(placeholder, AttributeValue::S(value.to_owned()));
        }
        match request.send().await {
            Ok(_) => Ok(true),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(false),
            Err(err) => Err(unavailable(err)),
        }
    }

    async fn list_conversations(
        &self,
        workspace_id: &WorkspaceId,
        page: &PageRequest,
    ) -> Result<Page<Conversation>, StoreError> {
        let listing = Listing { newest_first: true, ..Listing::default() };
        let listed: Page<ListedConversation> =
            self.query_page(keys::workspace_pk(workspace_id), keys::CONVERSATION, page, listing).await?;
        let keys = listed.items.iter().map(|entry| keys::conversation(workspace_id, &entry.conversation_id));
        let mut found: std::collections::HashMap<ConversationId, Conversation> = self
            .get_many::<StoredConversation>(keys.collect())
            .await?
            .into_iter()
            .map(|stored| Conversation::try_from(stored).map(|c| (c.id.clone(), c)))
            .collect::<Result<_, _>>()?;
        // A test run's conversation is read by its id from the run, never listed (a page may
        // then hold fewer than asked; its cursor still goes on).
        let items = listed
            .items
            .iter()
            .filter_map(|entry| found.remove(&entry.conversation_id))
            .filter(|conversation| !conversation.channel.is_test())
            .collect();
        Ok(Page { items, next_cursor: listed.next_cursor })
    }

    async fn recent_conversations(
        &self,
        workspace_id: &WorkspaceId,
        limit: u32,
    ) -> Result<Vec<Conversation>, StoreError> {
        let mut conversations = Vec::new();
        let mut start = None;
        while conversations.len() < limit as usize {
            let output = self
                .activity_query(workspace_id, limit.min(500) as i32)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(super::unavailable)?;
            for item in output.items.unwrap_or_default() {
                let stored: StoredConversation = crate::dynamo::from_item::<Record<StoredConversation>>(item)?.data;
                conversations.push(Conversation::try_from(stored)?);
            }
            match output.last_evaluated_key {
                Some(last) => start = Some(last),
                None => break,
            }
        }
        conversations.truncate(limit as usize);
        Ok(conversations)
    }

    async fn mark_reply_failed(
        &self,
        workspace_id: &WorkspaceId,
        conversation_id: &ConversationId,
        at: time::OffsetDateTime,
    ) -> Result<(), StoreError> {
        let (pk, sk) = keys::conversation(workspace_id, conversation_id);
        let at_text = timestamp::format(at);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(keys::PK, AttributeValue::S(pk))
            .key(keys::SK, AttributeValue::S(sk))
            .update_expression(
                "SET replyFailedAt = :at, updatedAt = :at, GSI3PK = :partition, GSI3SK = :activity ADD revision :one",
            )
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(":at", AttributeValue::S(at_text.clone()))
            .expression_attribute_values(":partition", AttributeValue::S(keys::activity_partition(workspace_id)))
            .expression_attribute_values(":activity", AttributeValue::S(keys::activity_sort(&at_text, conversation_id)))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // The conversation is gone: nothing to mark.
            Err(err) if err.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(()),
            Err(err) => Err(super::unavailable(err)),
        }
    }

    async fn latest_activity(&self, workspace_id: &WorkspaceId) -> Result<Option<String>, StoreError> {
        let output = self.activity_query(workspace_id, 1).send().await.map_err(super::unavailable)?;
        let newest = output.items.unwrap_or_default().into_iter().next();
        Ok(newest.and_then(|item| match item.get(keys::GSI3SK) {
            Some(AttributeValue::S(sort)) => Some(sort.clone()),
            _ => None,
        }))
    }

    async fn save_reply(
        &self,
        conversation: &Conversation,
        expected_revision: u64,
        message: &Message,
        usage: &UsageDelta,
    ) -> Result<(), StoreError> {
        let mut items = self.conversation_items(conversation, Some(expected_revision))?;
        let item = message_item(message)?;
        items.push(self.put(item, "attribute_not_exists(PK)", &[])?);
        items.extend(self.usage_items(usage)?);
        self.transact(items, "reply").await
    }

    async fn save_analysis(
        &self,
        conversation: &Conversation,
        expected_revision: u64,
        usage: &UsageDelta,
    ) -> Result<(), StoreError> {
        let mut items = self.conversation_items(conversation, Some(expected_revision))?;
        items.extend(self.usage_items(usage)?);
        self.transact(items, "conversation").await
    }

    async fn list_messages(
        &self,
        conversation_id: &ConversationId,
        page: &PageRequest,
    ) -> Result<Page<Message>, StoreError> {
        let listing = Listing { newest_first: true, ..Listing::default() };
        let page: Page<StoredMessage> =
            self.query_page(keys::messages_pk(conversation_id), keys::MESSAGE, page, listing).await?;
        Ok(page.map(Message::from))
    }

    async fn save_media(&self, update: &crate::ports::MediaUpdate) -> Result<(), StoreError> {
        self.write_media(update).await
    }

    async fn get_message(
        &self,
        conversation_id: &ConversationId,
        message_id: &MessageId,
    ) -> Result<Option<Message>, StoreError> {
        let record: Option<Record<StoredMessage>> = self.get(keys::message(conversation_id, message_id)).await?;
        Ok(record.map(|record| record.data.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inbound(wamid: Option<&str>) -> Message {
        let mut message = Message::new(
            &"conv_1".into(),
            crate::model::Direction::Inbound,
            crate::model::MessageKind::Text,
            DeliveryStatus::Received,
            time::OffsetDateTime::UNIX_EPOCH,
        );
        message.wamid = wamid.map(str::to_owned);
        message
    }

    #[test]
    fn only_a_message_with_a_wamid_claims_one() {
        assert_eq!(claim_key(&inbound(Some("wamid.A"))).ok(), Some(keys::inbound_wamid("wamid.A")));
        assert!(matches!(claim_key(&inbound(None)), Err(StoreError::Corrupt(_))));
        assert!(matches!(claim_key(&inbound(Some(""))), Err(StoreError::Corrupt(_))));
    }
}
