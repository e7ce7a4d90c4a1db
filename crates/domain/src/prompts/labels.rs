//! Labels: named pointers (`production`, `staging`, any name) at a prompt's versions. An agent may
//! follow a label instead of a fixed version or the latest, so moving the label moves every
//! agent that follows it. Each move is kept on the prompt (from which version, to which, who,
//! when), and the API's wrapper records it in the audit log.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{get_prompt, PROMPT_WRITE_ATTEMPTS};
use crate::agents::port::AgentStore;
use crate::model::values::OutOfRange;
use crate::model::{PageRequest, Principal, Prompt, PromptId, TestSuiteId};
use crate::optimistic::Retries;
use crate::ports::{Clock, PromptStore, PromptWrite, StoreError};
use crate::test_suites::port::TestSuiteStore;
use crate::AppError;

pub const MAX_LABEL_NAME_CHARS: usize = 40;
/// Labels one prompt may carry.
pub const MAX_LABELS: usize = 20;
/// Moves kept on the prompt, newest last; the audit log keeps every one for a year.
pub const MOVES_KEPT: usize = 100;
/// What an agent that follows nothing follows; not a label anyone can move.
const RESERVED: &str = "latest";

/// A label's name: 1 to 40 of `a-z 0-9 . _ -`, starting with a letter or a digit; not `latest`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LabelName(String);

impl LabelName {
    pub fn parse(text: &str) -> Result<Self, OutOfRange> {
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-');
        let starts_well = text.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        if !starts_well || text.len() > MAX_LABEL_NAME_CHARS || !text.chars().all(allowed) {
            return Err(OutOfRange::new(format!(
                "must be 1 to {MAX_LABEL_NAME_CHARS} of a-z, 0-9, `.`, `_`, `-`, starting with a letter or digit (got `{}`)",
                text.chars().take(60).collect::<String>()
            )));
        }
        if text == RESERVED {
            return Err(OutOfRange::new("`latest` is what an agent following no label follows; choose another name"));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for LabelName {
    type Error = OutOfRange;
    fn try_from(text: String) -> Result<Self, OutOfRange> {
        Self::parse(&text)
    }
}

impl From<LabelName> for String {
    fn from(name: LabelName) -> Self {
        name.0
    }
}

impl std::fmt::Display for LabelName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a label points, and who put it there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Label {
    pub version: u32,
    #[serde(with = "crate::model::timestamp::iso")]
    pub moved_at: OffsetDateTime,
    /// The prefix of the key that moved it.
    pub moved_by: String,
    /// It moves only to a version with a passing run of this suite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires_suite: Option<TestSuiteId>,
}

/// One move of a label: `from` is `None` when it was created, `to` when it was removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelMove {
    pub label: LabelName,
    pub from: Option<u32>,
    pub to: Option<u32>,
    pub by: String,
    #[serde(with = "crate::model::timestamp::iso")]
    pub at: OffsetDateTime,
}

/// A prompt's labels and their recent moves.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PromptLabels {
    #[serde(default)]
    pub current: BTreeMap<LabelName, Label>,
    #[serde(default)]
    pub moves: Vec<LabelMove>,
}

impl PromptLabels {
    pub fn version_of(&self, label: &LabelName) -> Option<u32> {
        self.current.get(label).map(|l| l.version)
    }

    /// The labels pointing at `version`, in name order.
    pub fn on_version(&self, version: u32) -> Vec<LabelName> {
        self.current.iter().filter(|(_, l)| l.version == version).map(|(name, _)| name.clone()).collect()
    }

    fn record(&mut self, change: LabelMove) {
        self.moves.push(change);
        let excess = self.moves.len().saturating_sub(MOVES_KEPT);
        self.moves.drain(..excess);
    }
}

/// Why a label could not be moved or removed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelRefusal {
    #[error("the prompt has no version {0}")]
    NoSuchVersion(u32),
    #[error("the prompt has no label `{0}`")]
    NoSuchLabel(LabelName),
    #[error("a prompt carries at most {MAX_LABELS} labels")]
    TooManyLabels,
    #[error("agents follow the label `{label}` ({}): point them at another label or version first", agents.join(", "))]
    Followed { label: LabelName, agents: Vec<String> },
    #[error("the label `{label}` requires a passing run of the test suite `{suite_name}` ({suite}) on version {version}: run it first (POST /api/v1/test-suites/{suite}/runs/)")]
    NoPassingRun { label: LabelName, suite: TestSuiteId, suite_name: String, version: u32 },
    #[error("no test suite with this id in the workspace")]
    UnknownSuite,
}

impl From<LabelRefusal> for AppError {
    fn from(refusal: LabelRefusal) -> Self {
        match refusal {
            LabelRefusal::NoSuchVersion(_) | LabelRefusal::NoSuchLabel(_) => AppError::NotFound(refusal.to_string()),
            LabelRefusal::TooManyLabels | LabelRefusal::Followed { .. } | LabelRefusal::NoPassingRun { .. } => {
                AppError::Conflict(refusal.to_string())
            }
            LabelRefusal::UnknownSuite => {
                crate::model::input::InvalidField::new("requiresSuite", refusal.to_string()).into()
            }
        }
    }
}

/// What moving a label did.
#[derive(Debug, Clone, PartialEq)]
pub struct Moved {
    pub prompt: Prompt,
    pub label: LabelName,
    pub previous_version: Option<u32>,
}

/// Where a label is moved, and the suite it requires from now on (`None` keeps the one it has;
/// `Some(None)` drops it).
#[derive(Debug, Clone)]
pub struct LabelTarget {
    pub version: u32,
    pub requires_suite: Option<Option<TestSuiteId>>,
}

/// Points `label` at `version` (creating it), recorded with who moved it from where. A label that
/// requires a suite moves only to a version with a passing run of it.
pub async fn move_label(
    prompts: &dyn PromptStore,
    suites: &dyn TestSuiteStore,
    clock: &dyn Clock,
    principal: &Principal,
    prompt_id: &PromptId,
    label: LabelName,
    target: LabelTarget,
) -> Result<Moved, AppError> {
    let version = target.version;
    let mut retries = Retries::with_attempts("the prompt", PROMPT_WRITE_ATTEMPTS);
    loop {
        retries.another().await?;
        let current = get_prompt(prompts, principal, prompt_id).await?;
        if version > current.latest_version || prompts.get_prompt_version(&current.id, version).await?.is_none() {
            return Err(LabelRefusal::NoSuchVersion(version).into());
        }
        let pointer = current.labels.current.get(&label);
        let previous = pointer.map(|l| l.version);
        if previous.is_none() && current.labels.current.len() >= MAX_LABELS {
            return Err(LabelRefusal::TooManyLabels.into());
        }
        let requires = target.requires_suite.clone().unwrap_or_else(|| pointer.and_then(|l| l.requires_suite.clone()));
        if let Some(suite) = &requires {
            gate(suites, principal, &current.id, &label, suite, version).await?;
        }
        if previous == Some(version) && pointer.and_then(|l| l.requires_suite.as_ref()) == requires.as_ref() {
            return Ok(Moved { prompt: current, label, previous_version: previous });
        }
        let now = clock.now();
        let by = principal.key_prefix.clone();
        let mut labels = current.labels.clone();
        let moved = Label { version, moved_at: now, moved_by: by.clone(), requires_suite: requires };
        labels.current.insert(label.clone(), moved);
        if previous != Some(version) {
            labels.record(LabelMove { label: label.clone(), from: previous, to: Some(version), by, at: now });
        }
        let updated = Prompt { labels, revision: current.revision + 1, updated_at: now, ..current.clone() };
        match save(prompts, &updated, current.revision).await {
            Ok(()) => return Ok(Moved { prompt: updated, label, previous_version: previous }),
            Err(StoreError::Conflict(_)) => continue,
            Err(err) => return Err(err.into()),
        }
    }
}

/// Refuses a version without a passing run of `suite`.
async fn gate(
    suites: &dyn TestSuiteStore,
    principal: &Principal,
    prompt_id: &PromptId,
    label: &LabelName,
    suite: &TestSuiteId,
    version: u32,
) -> Result<(), AppError> {
    let Some(found) = suites.get_test_suite(&principal.workspace_id, suite).await? else {
        return Err(LabelRefusal::UnknownSuite.into());
    };
    if suites.passing_run(&principal.workspace_id, suite, prompt_id, version).await?.is_some() {
        return Ok(());
    }
    Err(LabelRefusal::NoPassingRun { label: label.clone(), suite: suite.clone(), suite_name: found.name, version }
        .into())
}

/// Removes `label`, unless an agent follows it (it would have nothing to answer with).
pub async fn remove_label(
    prompts: &dyn PromptStore,
    agents: &dyn AgentStore,
    clock: &dyn Clock,
    principal: &Principal,
    prompt_id: &PromptId,
    label: LabelName,
) -> Result<Prompt, AppError> {
    let followers = followers(agents, principal, prompt_id, &label).await?;
    if !followers.is_empty() {
        return Err(LabelRefusal::Followed { label, agents: followers }.into());
    }
    let mut retries = Retries::with_attempts("the prompt", PROMPT_WRITE_ATTEMPTS);
    loop {
        retries.another().await?;
        let current = get_prompt(prompts, principal, prompt_id).await?;
        let Some(removed) = current.labels.current.get(&label).cloned() else {
            return Err(LabelRefusal::NoSuchLabel(label).into());
        };
        let now = clock.now();
        let mut labels = current.labels.clone();
        labels.current.remove(&label);
        let by = principal.key_prefix.clone();
        labels.record(LabelMove { label: label.clone(), from: Some(removed.version), to: None, by, at: now });
        let updated = Prompt { labels, revision: current.revision + 1, updated_at: now, ..current.clone() };
        match save(prompts, &updated, current.revision).await {
            Ok(()) => return Ok(updated),
            Err(StoreError::Conflict(_)) => continue,
            Err(err) => return Err(err.into()),
        }
    }
}

async fn save(prompts: &dyn PromptStore, prompt: &Prompt, revision: u64) -> Result<(), StoreError> {
    let write = PromptWrite { prompt, expected_revision: Some(revision), version: None, previous_name: None };
    prompts.save_prompt(write).await
}

/// The names of the workspace's agents that follow `label` of the prompt, or split traffic to it.
async fn followers(
    agents: &dyn AgentStore,
    principal: &Principal,
    prompt_id: &PromptId,
    label: &LabelName,
) -> Result<Vec<String>, StoreError> {
    let mut names = Vec::new();
    let mut page = PageRequest { limit: 100, cursor: None };
    loop {
        let found = agents.list_agents(&principal.workspace_id, &page).await?;
        let follows = |a: &&crate::model::Agent| {
            let split_names =
                a.traffic_split.iter().flat_map(|s| s.arms.iter()).any(
                    |arm| matches!(&arm.follows, crate::agents::model::PromptPick::Label(named) if named == label),
                );
            &a.prompt_id == prompt_id && (a.prompt_label.as_ref() == Some(label) || split_names)
        };
        names.extend(found.items.iter().filter(follows).map(|a| a.name.clone()));
        match found.next_cursor {
            Some(cursor) => page = PageRequest { limit: 100, cursor: Some(cursor) },
            None => return Ok(names),
        }
    }
}
