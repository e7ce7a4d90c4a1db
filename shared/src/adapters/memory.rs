//! The store port in memory: for fast unit tests of use cases. It keeps the adapter's promises
//! (conditional writes, claims, newest-first lists, atomic replies with their usage) so that a use
//! case behaves here as on DynamoDB; the end-to-end tests on moto remain the proof.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::adapters::dynamo::keys::follow_up_shard;
use crate::model::event::Event;
use crate::model::policy::{Policy, Violation};
use crate::model::usage::{UsageDelta, UsageRow};
use crate::model::{
    Agent, Amendment, ApiKey, Conversation, DeliveryStatus, Message, MessageError, Page, PageRequest, Prompt,
    PromptVersion, WhatsAppNumber, Workspace,
};
use crate::ports::*;

#[derive(Default)]
struct State {
    workspaces: HashMap<String, Workspace>,
    keys: HashMap<String, ApiKey>,
    prompts: BTreeMap<(String, String), Prompt>,
    versions: BTreeMap<(String, u32), PromptVersion>,
    numbers: BTreeMap<String, WhatsAppNumber>,
    agents: BTreeMap<(String, String), Agent>,
    conversations: BTreeMap<(String, String), Conversation>,
    claims: HashMap<(String, String, String), String>,
    messages: BTreeMap<(String, String), Message>,
    wamids: HashMap<String, String>,
    outbound: HashMap<String, OutboundRef>,
    usage: BTreeMap<(String, String, Option<String>), crate::model::usage::Tokens>,
    policies: BTreeMap<(String, String), Policy>,
    violations: BTreeMap<(String, String), Violation>,
    events: HashMap<(String, String), Event>,
    tools: BTreeMap<(String, String), crate::model::tool::ToolDef>,
    approvals: BTreeMap<(String, String), DueApproval>,
}

#[derive(Default)]
pub struct MemoryStore(Mutex<State>);

impl MemoryStore {
    fn state(&self) -> Result<MutexGuard<'_, State>, StoreError> {
        self.0.lock().map_err(|_| StoreError::Unavailable("the in-memory store was poisoned".into()))
    }
}

/// One page of `items` (in order), after the item whose key is the cursor.
fn page<T: Clone>(items: Vec<(String, T)>, request: &PageRequest) -> Page<T> {
    let start = match &request.cursor {
        Some(cursor) => items.iter().position(|(key, _)| key == cursor).map_or(items.len(), |i| i + 1),
        None => 0,
    };
    let limit = request.limit.max(1) as usize;
    let chunk: Vec<(String, T)> = items.into_iter().skip(start).take(limit + 1).collect();
    let next_cursor = (chunk.len() > limit).then(|| chunk[limit - 1].0.clone());
    Page { items: chunk.into_iter().take(limit).map(|(_, item)| item).collect(), next_cursor }
}

fn conflict(what: &str) -> StoreError {
    StoreError::Conflict(what.to_owned())
}

#[async_trait]
impl WorkspaceStore for MemoryStore {
    async fn create_workspace(
        &self,
        workspace: &Workspace,
        first_key: &ApiKey,
        key_hash: &str,
    ) -> Result<(), StoreError> {
        let mut state = self.state()?;
        if state.workspaces.contains_key(&workspace.id) || state.keys.contains_key(key_hash) {
            return Err(conflict("workspace"));
        }
        state.workspaces.insert(workspace.id.clone(), workspace.clone());
        state.keys.insert(key_hash.to_owned(), first_key.clone());
        Ok(())
    }
    async fn get_workspace(&self, id: &str) -> Result<Option<Workspace>, StoreError> {
        Ok(self.state()?.workspaces.get(id).cloned())
    }
    async fn save_workspace(&self, workspace: &Workspace, expected: u64) -> Result<(), StoreError> {
        let mut state = self.state()?;
        if state.workspaces.get(&workspace.id).map(|w| w.revision) != Some(expected) {
            return Err(conflict("workspace"));
        }
        state.workspaces.insert(workspace.id.clone(), workspace.clone());
        Ok(())
    }
}

#[async_trait]
impl ApiKeyStore for MemoryStore {
    async fn find_key_by_hash(&self, hash: &str) -> Result<Option<ApiKey>, StoreError> {
        Ok(self.state()?.keys.get(hash).cloned())
    }
    async fn insert_key(&self, key: &ApiKey, hash: &str) -> Result<(), StoreError> {
        let mut state = self.state()?;
        if state.keys.values().any(|k| k.workspace_id == key.workspace_id && k.prefix == key.prefix) {
            return Err(conflict("API key"));
        }
        state.keys.insert(hash.to_owned(), key.clone());
        Ok(())
    }
    async fn list_keys(&self, workspace_id: &str, request: &PageRequest) -> Result<Page<ApiKey>, StoreError> {
        let state = self.state()?;
        let mut keys: Vec<(String, ApiKey)> = state
            .keys
            .values()
            .filter(|k| k.workspace_id == workspace_id)
            .map(|k| (k.prefix.clone(), k.clone()))
            .collect();
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(page(keys, request))
    }
    async fn delete_key(&self, workspace_id: &str, prefix: &str) -> Result<bool, StoreError> {
        let mut state = self.state()?;
        let before = state.keys.len();
        state.keys.retain(|_, k| !(k.workspace_id == workspace_id && k.prefix == prefix));
        Ok(state.keys.len() < before)
    }
}

#[async_trait]
impl EventStore for MemoryStore {
    async fn save_event(&self, event: &Event) -> Result<(), StoreError> {
        self.state()?.events.insert((event.workspace_id.clone(), event.id.clone()), event.clone());
        Ok(())
    }
    async fn get_event(&self, workspace_id: &str, event_id: &str) -> Result<Option<Event>, StoreError> {
        Ok(self.state()?.events.get(&(workspace_id.to_owned(), event_id.to_owned())).cloned())
    }
}

#[async_trait]
impl ToolCallStore for MemoryStore {
    async fn save_tool_calls(
        &self,
        conversation: &Conversation,
        expected_revision: u64,
        calls: &[Message],
        watches: &[DueApproval],
        usage: &UsageDelta,
    ) -> Result<(), StoreError> {
        let mut state = self.state()?;
        state.put_conversation(conversation, Some(expected_revision))?;
        state.add_usage(usage);
        for call in calls {
            state.put_message(&conversation.workspace_id, call);
        }
        for watch in watches {
            state.approvals.insert((watch.workspace_id.clone(), watch.message_id.clone()), watch.clone());
        }
        Ok(())
    }
    async fn update_tool_call(
        &self,
        message: &Message,
        expected: crate::model::tool_call::ToolCallStatus,
    ) -> Result<(), StoreError> {
        let mut state = self.state()?;
        let key = (message.conversation_id.clone(), message.id.clone());
        let current = state.messages.get(&key).and_then(|m| m.tool_call.as_ref()).map(|call| call.status);
        if current != Some(expected) {
            return Err(StoreError::Conflict("the tool call was decided or moved on".into()));
        }
        state.messages.insert(key, message.clone());
        Ok(())
    }
    async fn get_message(&self, conversation_id: &str, message_id: &str) -> Result<Option<Message>, StoreError> {
        Ok(self.state()?.messages.get(&(conversation_id.to_owned(), message_id.to_owned())).cloned())
    }
    async fn due_approvals(&self, shard: u32, now: OffsetDateTime, limit: u32) -> Result<Vec<DueApproval>, StoreError> {
        let state = self.state()?;
        let due = state
            .approvals
            .values()
            .filter(|a| a.expires_at <= now && follow_up_shard(&a.message_id) == shard)
            .take(limit as usize)
            .cloned();
        Ok(due.collect())
    }
    async fn lease_approval(&self, due: &DueApproval, until: OffsetDateTime) -> Result<bool, StoreError> {
        let mut state = self.state()?;
        match state.approvals.get_mut(&(due.workspace_id.clone(), due.message_id.clone())) {
            Some(watch) if watch.expires_at == due.expires_at => {
                watch.expires_at = until;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn end_approval_watch(
        &self,
        workspace_id: &str,
        _conversation_id: &str,
        message_id: &str,
    ) -> Result<(), StoreError> {
        self.state()?.approvals.remove(&(workspace_id.to_owned(), message_id.to_owned()));
        Ok(())
    }
}

#[async_trait]
impl ToolStore for MemoryStore {
    async fn create_tool(&self, tool: &crate::model::tool::ToolDef) -> Result<(), StoreError> {
        let mut state = self.state()?;
        let taken = state.tools.values().any(|t| t.workspace_id == tool.workspace_id && t.name == tool.name);
        if taken {
            return Err(StoreError::Conflict("tool".into()));
        }
        state.tools.insert((tool.workspace_id.clone(), tool.id.clone()), tool.clone());
        Ok(())
    }
    async fn replace_tool(&self, tool: &crate::model::tool::ToolDef, _previous_name: &str) -> Result<(), StoreError> {
        let mut state = self.state()?;
        let key = (tool.workspace_id.clone(), tool.id.clone());
        let taken =
            state.tools.values().any(|t| t.workspace_id == tool.workspace_id && t.name == tool.name && t.id != tool.id);
        if taken || !state.tools.contains_key(&key) {
            return Err(StoreError::Conflict("tool".into()));
        }
        state.tools.insert(key, tool.clone());
        Ok(())
    }
    async fn get_tool(
        &self,
        workspace_id: &str,
        tool_id: &str,
    ) -> Result<Option<crate::model::tool::ToolDef>, StoreError> {
        Ok(self.state()?.tools.get(&(workspace_id.to_owned(), tool_id.to_owned())).cloned())
    }
    async fn find_tool_by_name(
        &self,
        workspace_id: &str,
        name: &str,
    ) -> Result<Option<crate::model::tool::ToolDef>, StoreError> {
        Ok(self.state()?.tools.values().find(|t| t.workspace_id == workspace_id && t.name == name).cloned())
    }
    async fn list_tools(
        &self,
        workspace_id: &str,
        request: &PageRequest,
    ) -> Result<Page<crate::model::tool::ToolDef>, StoreError> {
        let state = self.state()?;
        let items = state.tools.iter().filter(|((ws, _), _)| ws == workspace_id);
        Ok(page(items.map(|((_, id), t)| (id.clone(), t.clone())).collect(), request))
    }
    async fn delete_tool(&self, tool: &crate::model::tool::ToolDef) -> Result<bool, StoreError> {
        Ok(self.state()?.tools.remove(&(tool.workspace_id.clone(), tool.id.clone())).is_some())
    }
}

#[async_trait]
impl PolicyStore for MemoryStore {
    async fn put_policy(&self, policy: &Policy, expected: Option<u64>) -> Result<(), StoreError> {
        let mut state = self.state()?;
        let key = (policy.workspace_id.clone(), policy.id.clone());
        if state.policies.get(&key).map(|p| p.revision) != expected {
            return Err(conflict("policy"));
        }
        state.policies.insert(key, policy.clone());
        Ok(())
    }
    async fn get_policy(&self, workspace_id: &str, policy_id: &str) -> Result<Option<Policy>, StoreError> {
        Ok(self.state()?.policies.get(&(workspace_id.to_owned(), policy_id.to_owned())).cloned())
    }
    async fn list_policies(&self, workspace_id: &str, request: &PageRequest) -> Result<Page<Policy>, StoreError> {
        let state = self.state()?;
        let items =
            state.policies.iter().filter(|((ws, _), _)| ws == workspace_id).map(|((_, id), p)| (id.clone(), p.clone()));
        Ok(page(items.collect(), request))
    }
    async fn delete_policy(&self, workspace_id: &str, policy_id: &str) -> Result<bool, StoreError> {
        Ok(self.state()?.policies.remove(&(workspace_id.to_owned(), policy_id.to_owned())).is_some())
    }
    async fn record_violations(&self, violations: &[Violation]) -> Result<(), StoreError> {
        let mut state = self.state()?;
        for violation in violations {
            state.violations.insert((violation.workspace_id.clone(), violation.id.clone()), violation.clone());
        }
        Ok(())
    }
    async fn list_violations(&self, workspace_id: &str, request: &PageRequest) -> Result<Page<Violation>, StoreError> {
        let state = self.state()?;
        let items = state.violations.iter().rev().filter(|((ws, _), _)| ws == workspace_id);
        Ok(page(items.map(|((_, id), v)| (id.clone(), v.clone())).collect(), request))
    }
}

#[async_trait]
impl PromptStore for MemoryStore {
    async fn save_prompt(&self, write: PromptWrite<'_>) -> Result<(), StoreError> {
        let mut state = self.state()?;
        let prompt = write.prompt;
        let key = (prompt.workspace_id.clone(), prompt.id.clone());
        match (write.expected_revision, state.prompts.get(&key)) {
            (None, Some(_)) => return Err(conflict("prompt")),
            (Some(revision), Some(stored)) if stored.revision != revision => return Err(conflict("prompt")),
            (Some(_), None) => return Err(conflict("prompt")),
            _ => {}
        }
        let name_taken = state
            .prompts
            .values()
            .any(|p| p.workspace_id == prompt.workspace_id && p.name == prompt.name && p.id != prompt.id);
        if name_taken {
            return Err(conflict("prompt name"));
        }
        if let Some(version) = write.version {
            let version_key = (version.prompt_id.clone(), version.version);
            if state.versions.contains_key(&version_key) {
                return Err(conflict("prompt version"));
            }
            state.versions.insert(version_key, version.clone());
        }
        state.prompts.insert(key, prompt.clone());
        Ok(())
    }
    async fn get_prompt(&self, workspace_id: &str, prompt_id: &str) -> Result<Option<Prompt>, StoreError> {
        Ok(self.state()?.prompts.get(&(workspace_id.to_owned(), prompt_id.to_owned())).cloned())
    }
    async fn find_prompt_by_name(&self, workspace_id: &str, name: &str) -> Result<Option<Prompt>, StoreError> {
        Ok(self.state()?.prompts.values().find(|p| p.workspace_id == workspace_id && p.name == name).cloned())
    }
    async fn list_prompts(
        &self,
        workspace_id: &str,
        filter: &PromptFilter<'_>,
        request: &PageRequest,
    ) -> Result<Page<Prompt>, StoreError> {
        let state = self.state()?;
        let mut items: Vec<(String, Prompt)> = state
            .prompts
            .values()
            .filter(|p| p.workspace_id == workspace_id && filter.name_contains.is_none_or(|part| p.name.contains(part)))
            .filter(|p| filter.include_hidden || !p.is_hidden)
            .map(|p| (p.id.clone(), p.clone()))
            .collect();
        items.sort_by(|a, b| a.1.created_at.cmp(&b.1.created_at).then(a.0.cmp(&b.0)));
        Ok(page(items, request))
    }
    async fn get_prompt_version(&self, prompt_id: &str, version: u32) -> Result<Option<PromptVersion>, StoreError> {
        Ok(self.state()?.versions.get(&(prompt_id.to_owned(), version)).cloned())
    }
    async fn list_prompt_versions(
        &self,
        prompt_id: &str,
        request: &PageRequest,
    ) -> Result<Page<PromptVersion>, StoreError> {
        let state = self.state()?;
        let items = state.versions.iter().rev().filter(|((id, _), _)| id == prompt_id);
        Ok(page(items.map(|((_, n), v)| (format!("{n:06}"), v.clone())).collect(), request))
    }
}

#[async_trait]
impl NumberStore for MemoryStore {
    async fn register_number(&self, number: &WhatsAppNumber) -> Result<(), StoreError> {
        let mut state = self.state()?;
        if state.numbers.contains_key(&number.phone_number_id) {
            return Err(conflict("WhatsApp number"));
        }
        state.numbers.insert(number.phone_number_id.clone(), number.clone());
        Ok(())
    }
    async fn get_number(&self, phone_number_id: &str) -> Result<Option<WhatsAppNumber>, StoreError> {
        Ok(self.state()?.numbers.get(phone_number_id).cloned())
    }
    async fn list_numbers(
        &self,
        workspace_id: &str,
        request: &PageRequest,
    ) -> Result<Page<WhatsAppNumber>, StoreError> {
        let state = self.state()?;
        let items = state.numbers.values().filter(|n| n.workspace_id == workspace_id);
        Ok(page(items.map(|n| (n.phone_number_id.clone(), n.clone())).collect(), request))
    }
    async fn remove_number(&self, workspace_id: &str, phone_number_id: &str) -> Result<bool, StoreError> {
        let mut state = self.state()?;
        let held = state.numbers.get(phone_number_id).is_some_and(|n| n.workspace_id == workspace_id);
        if held {
            state.numbers.remove(phone_number_id);
        }
        Ok(held)
    }
}

#[async_trait]
impl AgentStore for MemoryStore {
    async fn put_agent(&self, agent: &Agent, expected: Option<u64>) -> Result<(), StoreError> {
        let mut state = self.state()?;
        let key = (agent.workspace_id.clone(), agent.id.clone());
        if state.agents.get(&key).map(|a| a.revision) != expected {
            return Err(conflict("agent"));
        }
        state.agents.insert(key, agent.clone());
        Ok(())
    }
    async fn get_agent(&self, workspace_id: &str, agent_id: &str) -> Result<Option<Agent>, StoreError> {
        Ok(self.state()?.agents.get(&(workspace_id.to_owned(), agent_id.to_owned())).cloned())
    }
    async fn list_agents(&self, workspace_id: &str, request: &PageRequest) -> Result<Page<Agent>, StoreError> {
        let state = self.state()?;
        let items = state.agents.iter().filter(|((ws, _), _)| ws == workspace_id);
        Ok(page(items.map(|((_, id), a)| (id.clone(), a.clone())).collect(), request))
    }
    async fn delete_agent(&self, workspace_id: &str, agent_id: &str) -> Result<bool, StoreError> {
        Ok(self.state()?.agents.remove(&(workspace_id.to_owned(), agent_id.to_owned())).is_some())
    }
}

impl State {
    /// The conversation write every conditional save shares: new, or still at `expected`.
    fn put_conversation(&mut self, conversation: &Conversation, expected: Option<u64>) -> Result<(), StoreError> {
        let key = (conversation.workspace_id.clone(), conversation.id.clone());
        match (expected, self.conversations.get(&key)) {
            (None, Some(_)) => return Err(conflict("conversation")),
            (Some(revision), Some(stored)) if stored.revision != revision => return Err(conflict("conversation")),
            (Some(_), None) => return Err(conflict("conversation")),
            _ => {}
        }
        if let (None, Some((phone_number_id, contact))) = (expected, conversation.party()) {
            let claim = (conversation.workspace_id.clone(), phone_number_id.to_owned(), contact.wa_id.clone());
            if self.claims.contains_key(&claim) {
                return Err(conflict("conversation claim"));
            }
            self.claims.insert(claim, conversation.id.clone());
        }
        self.conversations.insert(key, conversation.clone());
        Ok(())
    }

    /// Adds to the workspace's and the agent's counters for the day.
    fn add_usage(&mut self, usage: &UsageDelta) {
        for agent in [None, Some(usage.agent_id.clone())] {
            self.usage.entry((usage.workspace_id.clone(), usage.day.clone(), agent)).or_default().add(usage.tokens);
        }
    }

    fn put_message(&mut self, workspace_id: &str, message: &Message) {
        for wamid in &message.sent_parts {
            let target = OutboundRef {
                workspace_id: workspace_id.to_owned(),
                conversation_id: message.conversation_id.clone(),
                message_id: message.id.clone(),
            };
            self.outbound.insert(wamid.clone(), target);
        }
        self.messages.insert((message.conversation_id.clone(), message.id.clone()), message.clone());
    }
}

#[async_trait]
impl ConversationStore for MemoryStore {
    async fn get_conversation(
        &self,
        workspace_id: &str,
        conversation_id: &str,
    ) -> Result<Option<Conversation>, StoreError> {
        Ok(self.state()?.conversations.get(&(workspace_id.to_owned(), conversation_id.to_owned())).cloned())
    }
    async fn find_conversation(
        &self,
        workspace_id: &str,
        phone_number_id: &str,
        wa_id: &str,
    ) -> Result<Option<Conversation>, StoreError> {
        let state = self.state()?;
        let claim = (workspace_id.to_owned(), phone_number_id.to_owned(), wa_id.to_owned());
        Ok(state
            .claims
            .get(&claim)
            .and_then(|id| state.conversations.get(&(workspace_id.to_owned(), id.clone())).cloned()))
    }
    async fn save_conversation(
        &self,
        conversation: &Conversation,
        expected_revision: Option<u64>,
        messages: &[Message],
    ) -> Result<(), StoreError> {
        let mut state = self.state()?;
        state.put_conversation(conversation, expected_revision)?;
        for message in messages {
            state.put_message(&conversation.workspace_id, message);
        }
        Ok(())
    }
    async fn save_inbound(
        &self,
        conversation: &Conversation,
        expected_revision: Option<u64>,
        message: &Message,
    ) -> Result<(), StoreError> {
        let mut state = self.state()?;
        let wamid = message.wamid.clone().unwrap_or_default();
        if state.wamids.contains_key(&wamid) {
            return Err(conflict("wamid"));
        }
        state.put_conversation(conversation, expected_revision)?;
        state.wamids.insert(wamid, message.id.clone());
        state.put_message(&conversation.workspace_id, message);
        Ok(())
    }
    async fn inbound_seen(&self, wamid: &str) -> Result<bool, StoreError> {
        Ok(self.state()?.wamids.contains_key(wamid))
    }
    async fn record_inbound(
        &self,
        conversation: &ConversationRef,
        update: &InboundUpdate,
        message: &Message,
    ) -> Result<(), StoreError> {
        let mut state = self.state()?;
        let wamid = message.wamid.clone().unwrap_or_default();
        let key = (conversation.workspace_id.clone(), conversation.conversation_id.clone());
        let current = state.conversations.get(&key).ok_or_else(|| conflict("conversation"))?;
        if state.wamids.contains_key(&wamid) || current.last_inbound_at.is_some_and(|last| last > update.sent_at) {
            return Err(conflict("inbound message"));
        }
        let mut updated = current.revised(update.now);
        updated.last_inbound_at = Some(update.sent_at);
        updated.last_message = Some(update.preview.clone());
        updated.follow_up_due_at = None;
        updated.follow_ups_sent = 0;
        updated.done_at = None;
        if let (Some(name), Some(contact)) = (&update.contact_name, updated.contact.as_mut()) {
            contact.name = Some(name.clone());
        }
        state.conversations.insert(key, updated);
        state.wamids.insert(wamid, message.id.clone());
        state.put_message(&conversation.workspace_id, message);
        Ok(())
    }
    async fn find_inbound(&self, wamid: &str) -> Result<Option<MessageRef>, StoreError> {
        let state = self.state()?;
        let Some(message_id) = state.wamids.get(wamid) else { return Ok(None) };
        let found = state.messages.keys().find(|(_, id)| id == message_id);
        Ok(found.map(|(conversation_id, message_id)| MessageRef {
            conversation_id: conversation_id.clone(),
            message_id: message_id.clone(),
        }))
    }
    async fn amend_message(&self, target: &MessageRef, amendment: &Amendment) -> Result<bool, StoreError> {
        let mut state = self.state()?;
        let Some(message) = state.messages.get_mut(&(target.conversation_id.clone(), target.message_id.clone())) else {
            return Ok(false);
        };
        match amendment {
            Amendment::Reaction(emoji) => message.reaction = emoji.clone(),
            Amendment::Edited { text, blocked_by } => {
                message.text = Some(text.clone());
                message.edited = true;
                if let Some(policy) = blocked_by {
                    message.error = Some(MessageError::blocked_by(policy));
                }
            }
            Amendment::Revoked => {
                message.text = None;
                message.deleted = true;
            }
        }
        Ok(true)
    }
    async fn record_delivery(&self, workspace_id: &str, message: &Message) -> Result<(), StoreError> {
        self.state()?.put_message(workspace_id, message);
        Ok(())
    }
    async fn find_outbound(&self, wamid: &str) -> Result<Option<OutboundRef>, StoreError> {
        Ok(self.state()?.outbound.get(wamid).cloned())
    }
    async fn advance_status(
        &self,
        conversation_id: &str,
        message_id: &str,
        status: DeliveryStatus,
        error: Option<&MessageError>,
    ) -> Result<bool, StoreError> {
        let mut state = self.state()?;
        let Some(message) = state.messages.get_mut(&(conversation_id.to_owned(), message_id.to_owned())) else {
            return Ok(false);
        };
        if status.rank() <= message.status.rank() {
            return Ok(false);
        }
        message.status = status;
        if let Some(error) = error {
            message.error = Some(error.clone());
        }
        Ok(true)
    }
    async fn list_conversations(
        &self,
        workspace_id: &str,
        request: &PageRequest,
    ) -> Result<Page<Conversation>, StoreError> {
        let state = self.state()?;
        let items = state.conversations.iter().rev().filter(|((ws, _), _)| ws == workspace_id);
        Ok(page(items.map(|((_, id), c)| (id.clone(), c.clone())).collect(), request))
    }
    async fn save_reply(
        &self,
        conversation: &Conversation,
        expected_revision: u64,
        message: &Message,
        usage: &UsageDelta,
    ) -> Result<(), StoreError> {
        let mut state = self.state()?;
        state.put_conversation(conversation, Some(expected_revision))?;
        state.put_message(&conversation.workspace_id, message);
        state.add_usage(usage);
        Ok(())
    }
    async fn usage(
        &self,
        workspace_id: &str,
        from: &str,
        to: &str,
        by_agent: bool,
    ) -> Result<Vec<UsageRow>, StoreError> {
        let state = self.state()?;
        let rows = state.usage.iter().filter(|((ws, day, agent), _)| {
            ws == workspace_id && day.as_str() >= from && day.as_str() <= to && agent.is_some() == by_agent
        });
        Ok(rows
            .map(|((_, day, agent), tokens)| UsageRow { day: day.clone(), agent_id: agent.clone(), tokens: *tokens })
            .collect())
    }
    async fn due_follow_ups(
        &self,
        shard: u32,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<DueFollowUp>, StoreError> {
        let state = self.state()?;
        let due = state.conversations.values().filter_map(|c| {
            let due_at = c.follow_up_due_at.filter(|at| *at <= now && follow_up_shard(&c.id) == shard)?;
            Some(DueFollowUp {
                workspace_id: c.workspace_id.clone(),
                conversation_id: c.id.clone(),
                due_at,
                attempt: c.follow_ups_sent + 1,
            })
        });
        Ok(due.take(limit as usize).collect())
    }
    async fn lease_follow_up(&self, due: &DueFollowUp, until: OffsetDateTime) -> Result<bool, StoreError> {
        let mut state = self.state()?;
        let key = (due.workspace_id.clone(), due.conversation_id.clone());
        match state.conversations.get_mut(&key) {
            Some(c) if c.follow_up_due_at == Some(due.due_at) => {
                c.follow_up_due_at = Some(until);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn due_analyses(&self, shard: u32, now: OffsetDateTime, limit: u32) -> Result<Vec<DueAnalysis>, StoreError> {
        let state = self.state()?;
        let due = state.conversations.values().filter_map(|c| {
            let due_at = c.analysis_due_at.filter(|at| *at <= now && follow_up_shard(&c.id) == shard)?;
            Some(DueAnalysis { workspace_id: c.workspace_id.clone(), conversation_id: c.id.clone(), due_at })
        });
        Ok(due.take(limit as usize).collect())
    }
    async fn lease_analysis(&self, due: &DueAnalysis, until: OffsetDateTime) -> Result<bool, StoreError> {
        let mut state = self.state()?;
        let key = (due.workspace_id.clone(), due.conversation_id.clone());
        match state.conversations.get_mut(&key) {
            Some(c) if c.analysis_due_at == Some(due.due_at) => {
                c.analysis_due_at = Some(until);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn save_analysis(
        &self,
        conversation: &Conversation,
        expected_revision: u64,
        usage: &UsageDelta,
    ) -> Result<(), StoreError> {
        let mut state = self.state()?;
        state.put_conversation(conversation, Some(expected_revision))?;
        state.add_usage(usage);
        Ok(())
    }
    async fn list_messages(&self, conversation_id: &str, request: &PageRequest) -> Result<Page<Message>, StoreError> {
        let state = self.state()?;
        let items = state.messages.iter().rev().filter(|((conv, _), _)| conv == conversation_id);
        Ok(page(items.map(|((_, id), m)| (id.clone(), m.clone())).collect(), request))
    }
    async fn save_media(&self, update: &crate::ports::MediaUpdate) -> Result<(), StoreError> {
        let mut state = self.state()?;
        let key = (update.conversation_id.clone(), update.message_id.clone());
        let Some(message) = state.messages.get_mut(&key) else {
            return Err(StoreError::Conflict("the message does not exist".into()));
        };
        let pending = message.media.as_ref().is_none_or(|m| m.status == crate::model::media::MediaStatus::Pending);
        if !pending {
            return Err(StoreError::Conflict("the media was already processed".into()));
        }
        message.media = Some(update.media.clone());
        if let Some(error) = &update.blocked {
            message.error = Some(error.clone());
        }
        if let Some(usage) = &update.usage {
            state.add_usage(usage);
        }
        Ok(())
    }
}
