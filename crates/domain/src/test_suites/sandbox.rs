//! The pipeline a scenario runs through: the live one, with the tools answered from the
//! scenario's stubs and the workspace's webhook out of sight (its events are not the workspace's
//! traffic). Everything else — the reply stages, policies, approvals, knowledge — is the same code.

use std::sync::Mutex;

use async_trait::async_trait;
use serde_json::{Map, Value};

use crate::events::EventPorts;
use crate::model::{ApiKey, Workspace, WorkspaceId};
use crate::ports::{DeliveryError, EventDelivery, StoreError, WorkspaceStore};
use crate::reply::ReplyPorts;

/// Answers a scenario's tool calls from its `toolResults`; never makes a request.
pub struct StubTools {
    results: Map<String, Value>,
    /// The tools called, in order.
    called: Mutex<Vec<String>>,
}

impl StubTools {
    pub fn new(results: &Map<String, Value>) -> Self {
        Self { results: results.clone(), called: Mutex::new(Vec::new()) }
    }

    /// The tools the scenario called, in order.
    pub fn called(&self) -> Vec<String> {
        self.called.lock().map(|called| called.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl EventDelivery for StubTools {
    async fn post(&self, _: &str, _: &[(&str, String)], _: String) -> Result<u16, DeliveryError> {
        Err(DeliveryError::Refused("is not reached from a test run".into()))
    }

    /// The stub of the tool the body names: a string as it is, anything else as JSON; a tool
    /// the scenario has no stub for answers 404, which the agent is told like any failed call.
    async fn call_tool(
        &self,
        _: &str,
        _: &[(&str, String)],
        body: String,
        _: std::time::Duration,
    ) -> Result<(u16, String), DeliveryError> {
        let call: Value = serde_json::from_str(&body).unwrap_or_default();
        let tool = call["tool"].as_str().unwrap_or_default().to_owned();
        if let Ok(mut called) = self.called.lock() {
            called.push(tool.clone());
        }
        Ok(match self.results.get(&tool) {
            Some(Value::String(text)) => (200, text.clone()),
            Some(result) => (200, result.to_string()),
            None => (404, format!("the scenario has no toolResults entry for `{tool}`")),
        })
    }
}

/// The workspace as the sandbox sees it: without its webhook, so nothing a scenario does is
/// recorded or delivered as the workspace's event. Changes are not the sandbox's to make.
pub struct WithoutWebhook<'a>(pub &'a dyn WorkspaceStore);

#[async_trait]
impl WorkspaceStore for WithoutWebhook<'_> {
    async fn create_workspace(&self, _: &Workspace, _: &ApiKey, _: &str) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("a test run creates no workspace".into()))
    }

    async fn get_workspace(&self, id: &WorkspaceId) -> Result<Option<Workspace>, StoreError> {
        Ok(self.0.get_workspace(id).await?.map(|workspace| Workspace { webhook_url: None, ..workspace }))
    }

    async fn save_workspace(&self, _: &Workspace, _: u64) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("a test run changes no workspace".into()))
    }
}

/// `live`, with its tools stubbed and its events muted, marked as a sandbox (it answers only
/// test conversations).
pub fn ports<'a>(live: &ReplyPorts<'a>, stubs: &'a StubTools, workspaces: &'a WithoutWebhook<'a>) -> ReplyPorts<'a> {
    let events = EventPorts { workspaces, ..live.events };
    let mut policies = live.policies;
    policies.events = events;
    let mut media = live.media;
    media.policies = policies;
    let mut analysis = live.analysis;
    analysis.events = events;
    let mut conversation = live.conversation;
    conversation.events = events;
    ReplyPorts { tool_http: stubs, workspaces, events, policies, media, analysis, conversation, sandbox: true, ..*live }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn stubs_answer_by_tool_name_and_say_when_a_tool_has_none() {
        let results = json!({"book_viewing": {"booked": true}, "quote": "£1,200"});
        let stubs = StubTools::new(results.as_object().unwrap_or(&Map::new()));
        let call = |tool: &str| json!({"tool": tool, "arguments": {}}).to_string();
        let timeout = std::time::Duration::from_secs(1);

        let booked = stubs.call_tool("https://tool.example", &[], call("book_viewing"), timeout).await;
        let quoted = stubs.call_tool("https://tool.example", &[], call("quote"), timeout).await;
        let missing = stubs.call_tool("https://tool.example", &[], call("send_sms"), timeout).await;

        assert_eq!(booked.ok(), Some((200, r#"{"booked":true}"#.to_owned())));
        assert_eq!(quoted.ok(), Some((200, "£1,200".to_owned())));
        let (status, why) = missing.unwrap_or_default();
        assert_eq!(status, 404);
        assert!(why.contains("`send_sms`"), "{why}");
        assert_eq!(stubs.called(), ["book_viewing", "quote", "send_sms"]);
        assert!(stubs.post("https://hook.example", &[], String::new()).await.is_err(), "no event leaves a test run");
    }
}
