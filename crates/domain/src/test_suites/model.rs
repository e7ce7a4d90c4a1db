//! A test suite: scenarios an agent is run through before a version is promoted. Its serde shape
//! is the API's (and what is stored), so a client reads back exactly what it wrote.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::model::{TestSuiteId, WorkspaceId};

#[derive(Debug, Clone, PartialEq)]
pub struct TestSuite {
    pub id: TestSuiteId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub description: String,
    pub scenarios: Vec<Scenario>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// Bumped by every write; changes are conditional on it.
    pub revision: u64,
}

/// One conversation the agent is put through, and what must hold of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Scenario {
    pub name: String,
    #[serde(flatten)]
    pub contact: ScriptedContact,
    /// What each tool "returns", by tool name: a scenario never reaches a real tool.
    #[serde(default)]
    pub tool_results: Map<String, Value>,
    /// How a call that waits for a person's approval is decided.
    #[serde(default)]
    pub approvals: Approvals,
    pub expect: Vec<Expectation>,
}

/// Who writes to the agent: scripted turns, or an LLM playing a persona with a goal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ScriptedContact {
    Turns(Vec<String>),
    Simulate(Simulation),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Simulation {
    pub persona: String,
    pub goal: String,
    pub max_turns: u32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Approvals {
    #[default]
    Approve,
    Reject,
}

/// What must hold of the conversation a scenario ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Expectation {
    /// The agent called the tool, with arguments that contain these (a JSON subset).
    CallsTool(ToolCallExpected),
    NotCallsTool(String),
    /// Some reply matches the pattern.
    ReplyMatches(String),
    /// No reply matches the pattern.
    ReplyNotMatches(String),
    /// The conversation was (`true`) or was not (`false`) handed to a person.
    HandsOff(bool),
    /// An LLM scores the transcript against the rubric, from 0 to 10; it passes at `pass_mark`.
    Judge(Judge),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolCallExpected {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<Map<String, Value>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Judge {
    pub rubric: String,
    pub pass_mark: f64,
}
