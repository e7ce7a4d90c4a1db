//! Prompts: a working copy that operators edit, and immutable, numbered versions captured from it.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::{Duration, OffsetDateTime};

use crate::model::ids::{new_id, KnowledgeBaseId, PromptId, WorkspaceId};

/// An update that changes the prompt text captures a version when the latest version is at
/// least this old…
pub const CHECKPOINT_AFTER: Duration = Duration::minutes(10);
/// …or when this many text changes have piled up since it.
pub const CHECKPOINT_EVERY_EDITS: u32 = 5;

/// What a version captures: everything that shapes the agent's behaviour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PromptContent {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<crate::model::values::Temperature>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_time: Option<f64>,
    #[serde(default, with = "tools_text")]
    pub tools: Vec<Tool>,
    #[serde(default, with = "json_text")]
    pub tool_configs: Map<String, Value>,
    /// eigi's `prompt_metadata`, e.g. `{"prompt_type": "main"}`.
    #[serde(default, with = "json_text")]
    pub metadata: Map<String, Value>,
    /// The knowledge bases an agent answering with this prompt searches, beside its own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub knowledge_bases: Vec<KnowledgeBaseId>,
}

/// Free-form JSON from callers is kept as JSON text: any key or nesting survives storage as is,
/// where a native DynamoDB map would trip over keys such as `"M"` or `"L"`, or nesting limits.
/// Tools' schemas and fixed arguments are stored the same way.
pub mod json_text {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};
    use serde_json::{Map, Value};

    pub fn serialize<S: Serializer>(map: &Map<String, Value>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&Value::Object(map.clone()).to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Map<String, Value>, D::Error> {
        let text = String::deserialize(d)?;
        serde_json::from_str(&text).map_err(D::Error::custom)
    }
}

/// Tools carry whatever keys a client sends beside `name`, stored as JSON text like the other
/// free-form fields; items written before that hold a plain list, which still reads.
mod tools_text {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    use crate::model::Tool;

    pub fn serialize<S: Serializer>(tools: &[Tool], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&serde_json::to_string(tools).map_err(serde::ser::Error::custom)?)
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Stored {
        Text(String),
        List(Vec<Tool>),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Tool>, D::Error> {
        match Stored::deserialize(d)? {
            Stored::Text(text) => serde_json::from_str(&text).map_err(D::Error::custom),
            Stored::List(tools) => Ok(tools),
        }
    }
}

/// An enabled tool: its name, and every other key the client sent (kept as sent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    #[serde(flatten)]
    pub settings: Map<String, Value>,
}

impl Tool {
    pub fn named(name: impl Into<String>) -> Self {
        Self { name: name.into(), settings: Map::new() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionSource {
    /// `POST /v1/public/prompts`
    Create,
    /// A checkpoint captured by `PUT /api/prompts/{id}`.
    Autosave,
    /// `POST /api/prompts/{id}/versions/{n}/restore`
    Restore,
    /// `POST /api/prompts/{id}/versions`
    ManualSave,
}

/// What a person says about a version they save.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionNotes {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PromptVersion {
    pub id: String,
    pub prompt_id: PromptId,
    pub version: u32,
    pub content: PromptContent,
    pub source: VersionSource,
    pub notes: VersionNotes,
    pub created_at: OffsetDateTime,
}

impl PromptVersion {
    /// `v1.5` for version 6, as the leasing seed shows.
    pub fn display_version(&self) -> String {
        display_version(self.version)
    }
}

pub fn display_version(version: u32) -> String {
    format!("v1.{}", version.saturating_sub(1))
}

#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    pub id: PromptId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    /// The working copy.
    pub content: PromptContent,
    pub latest_version: u32,
    pub latest_version_at: OffsetDateTime,
    /// Text changes since the latest version.
    pub edits_since_version: u32,
    /// Bumped by every write; writes are conditional on it.
    pub revision: u64,
    /// Left out of lists unless asked for.
    pub is_hidden: bool,
    /// The prefix of the API key that last changed the prompt.
    pub edited_by: Option<String>,
    /// Named pointers at versions, and their recent moves.
    pub labels: super::labels::PromptLabels,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub last_edited_at: OffsetDateTime,
}

impl Prompt {
    /// A new prompt and its version 1.
    pub fn create(
        workspace_id: &WorkspaceId,
        name: String,
        content: PromptContent,
        now: OffsetDateTime,
    ) -> (Self, PromptVersion) {
        let id = PromptId::generate();
        let version = PromptVersion {
            id: new_id(),
            prompt_id: id.clone(),
            version: 1,
            content: content.clone(),
            source: VersionSource::Create,
            notes: VersionNotes::default(),
            created_at: now,
        };
        let prompt = Self {
            id,
            workspace_id: workspace_id.clone(),
            name,
            content,
            latest_version: 1,
            latest_version_at: now,
            edits_since_version: 0,
            revision: 1,
            is_hidden: false,
            edited_by: None,
            labels: Default::default(),
            created_at: now,
            updated_at: now,
            last_edited_at: now,
        };
        (prompt, version)
    }

    /// Makes `content` the working copy and captures it as the next version.
    pub fn append_version(
        &self,
        content: PromptContent,
        source: VersionSource,
        notes: VersionNotes,
        now: OffsetDateTime,
    ) -> (Self, PromptVersion) {
        let version = PromptVersion {
            id: new_id(),
            prompt_id: self.id.clone(),
            version: self.latest_version + 1,
            content: content.clone(),
            source,
            notes,
            created_at: now,
        };
        let text_changed = content.text != self.content.text;
        let prompt = Self {
            content,
            latest_version: version.version,
            latest_version_at: now,
            edits_since_version: 0,
            revision: self.revision + 1,
            updated_at: now,
            last_edited_at: if text_changed { now } else { self.last_edited_at },
            ..self.clone()
        };
        (prompt, version)
    }

    /// What an autosaved checkpoint says of itself, so that a list of versions reads without
    /// opening each: label `Autosave`, a title naming the version, and why it was captured.
    fn autosave_notes(&self, edits: u32, now: OffsetDateTime) -> VersionNotes {
        let previous = display_version(self.latest_version);
        let why = if edits >= CHECKPOINT_EVERY_EDITS {
            format!("{edits} changes of the text since {previous}")
        } else {
            let minutes = (now - self.latest_version_at).whole_minutes();
            format!("the text changed {minutes} minutes after {previous}")
        };
        VersionNotes {
            label: Some("Autosave".into()),
            title: Some(format!("Autosaved {}", display_version(self.latest_version + 1))),
            description: Some(format!("Captured automatically by an update: {why}.")),
        }
    }

    /// Applies an edit to the working copy; captures a version when the text changed and a
    /// checkpoint is due (see `CHECKPOINT_AFTER`, `CHECKPOINT_EVERY_EDITS`).
    pub fn edit(&self, name: String, content: PromptContent, now: OffsetDateTime) -> (Self, Option<PromptVersion>) {
        let text_changed = content.text != self.content.text;
        let edits = self.edits_since_version + u32::from(text_changed);
        let due = now - self.latest_version_at >= CHECKPOINT_AFTER || edits >= CHECKPOINT_EVERY_EDITS;
        if text_changed && due {
            let notes = self.autosave_notes(edits, now);
            let (prompt, version) = self.append_version(content, VersionSource::Autosave, notes, now);
            return (Self { name, ..prompt }, Some(version));
        }
        let prompt = Self {
            name,
            content,
            edits_since_version: edits,
            revision: self.revision + 1,
            updated_at: now,
            last_edited_at: if text_changed { now } else { self.last_edited_at },
            ..self.clone()
        };
        (prompt, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(text: &str) -> PromptContent {
        PromptContent { text: text.into(), ..Default::default() }
    }

    #[test]
    fn display_version_counts_from_v1_0() {
        assert_eq!(display_version(1), "v1.0");
        assert_eq!(display_version(6), "v1.5");
    }

    #[test]
    fn an_edit_checkpoints_only_when_the_text_changed_and_one_is_due() {
        let start = OffsetDateTime::UNIX_EPOCH;
        let (prompt, _) = Prompt::create(&"ws".into(), "p".into(), text("a"), start);

        let (soon, version) = prompt.edit("p".into(), text("b"), start + Duration::minutes(1));
        assert!(version.is_none(), "too soon after version 1");
        assert_eq!(soon.edits_since_version, 1);

        let (later, version) = soon.edit("p".into(), text("c"), start + CHECKPOINT_AFTER);
        assert_eq!(version.map(|v| v.version), Some(2));
        assert_eq!((later.latest_version, later.edits_since_version), (2, 0));

        let (unchanged, version) = later.edit("renamed".into(), text("c"), start + Duration::hours(5));
        assert!(version.is_none(), "no text change, no version");
        assert_eq!(unchanged.name, "renamed");
    }

    #[test]
    fn many_quick_text_edits_checkpoint_too() {
        let start = OffsetDateTime::UNIX_EPOCH;
        let (mut prompt, _) = Prompt::create(&"ws".into(), "p".into(), text("0"), start);
        let mut captured = Vec::new();
        for n in 1..=CHECKPOINT_EVERY_EDITS {
            let (next, version) = prompt.edit("p".into(), text(&n.to_string()), start + Duration::seconds(n.into()));
            captured.extend(version.map(|v| v.version));
            prompt = next;
        }
        assert_eq!(captured, vec![2]);
    }
}
