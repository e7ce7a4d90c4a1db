//! Prompt shapes: eigi's snake_case (`/v1/public/prompts`) and leasing's camelCase (`/api/prompts`).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::model::{
    timestamp, KnowledgeBaseId, Prompt, PromptContent, PromptId, PromptVersion, Tool, VersionSource, WorkspaceId,
};
use colloquy_domain::prompts::labels::{Label, LabelName, PromptLabels};
use colloquy_domain::prompts::model::display_version;

/// eigi: one version of a named prompt.
#[derive(Serialize)]
pub struct EigiPrompt {
    pub prompt_name: String,
    pub prompt_version: u32,
    pub prompt_content: String,
    pub prompt_metadata: Map<String, Value>,
    /// Colloquy's: the knowledge bases agents answering with this version search.
    pub knowledge_bases: Vec<KnowledgeBaseId>,
    /// Colloquy's: the labels pointing at this version.
    pub labels: Vec<String>,
    /// When the prompt was first created.
    pub created_at: String,
    /// When this version was made.
    pub updated_at: String,
}

impl EigiPrompt {
    pub fn new(prompt: &Prompt, version: &PromptVersion) -> Self {
        Self {
            prompt_name: prompt.name.clone(),
            prompt_version: version.version,
            prompt_content: version.content.text.clone(),
            prompt_metadata: version.content.metadata.clone(),
            knowledge_bases: version.content.knowledge_bases.clone(),
            labels: label_names(prompt, version.version),
            created_at: timestamp::format(prompt.created_at),
            updated_at: timestamp::format(version.created_at),
        }
    }
}

/// What a working copy and a version both show: the content that shapes the agent. The prompt's
/// own description is shown beside it (`description` on the document, `promptDescription` on a
/// version, whose `description` is what was said when it was saved).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContentView {
    pub prompt: String,
    pub temperature: Option<f64>,
    pub response_time: Option<f64>,
    pub tools: Vec<Tool>,
    pub tool_configs: Map<String, Value>,
    pub metadata: Map<String, Value>,
    pub knowledge_bases: Vec<KnowledgeBaseId>,
}

impl From<&PromptContent> for ContentView {
    fn from(content: &PromptContent) -> Self {
        Self {
            prompt: content.text.clone(),
            temperature: content.temperature.map(f64::from),
            response_time: content.response_time,
            tools: content.tools.clone(),
            tool_configs: content.tool_configs.clone(),
            metadata: content.metadata.clone(),
            knowledge_bases: content.knowledge_bases.clone(),
        }
    }
}

/// leasing: the prompt document (its working copy).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PromptDocument {
    #[serde(rename = "_id")]
    pub id: PromptId,
    pub name: String,
    pub description: Option<String>,
    #[serde(flatten)]
    pub content: ContentView,
    pub is_hidden: bool,
    pub organization_id: WorkspaceId,
    /// The prefix of the API key that last changed the prompt.
    pub user_id: Option<String>,
    /// The latest captured version, and whether the working copy has changed since.
    pub version: u32,
    pub display_version: String,
    pub has_unsaved_changes: bool,
    /// Each label and the version it points at.
    pub labels: BTreeMap<String, u32>,
    pub created_at: String,
    pub updated_at: String,
    pub last_edited_at: String,
    /// Tools the prompt names that the workspace does not have (yet): not offered to the model.
    /// Shown where one prompt is read or changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unresolved_tools: Option<Vec<String>>,
}

impl From<&Prompt> for PromptDocument {
    fn from(prompt: &Prompt) -> Self {
        Self {
            id: prompt.id.clone(),
            name: prompt.name.clone(),
            description: prompt.content.description.clone(),
            content: ContentView::from(&prompt.content),
            is_hidden: prompt.is_hidden,
            organization_id: prompt.workspace_id.clone(),
            user_id: prompt.edited_by.clone(),
            version: prompt.latest_version,
            display_version: display_version(prompt.latest_version),
            has_unsaved_changes: prompt.edits_since_version > 0,
            labels: prompt.labels.current.iter().map(|(name, label)| (name.to_string(), label.version)).collect(),
            created_at: timestamp::format(prompt.created_at),
            updated_at: timestamp::format(prompt.updated_at),
            last_edited_at: timestamp::format(prompt.last_edited_at),
            unresolved_tools: None,
        }
    }
}

const PREVIEW_CHARS: usize = 120;

fn label_names(prompt: &Prompt, version: u32) -> Vec<String> {
    prompt.labels.on_version(version).iter().map(ToString::to_string).collect()
}

/// A label where it points, and who moved it there.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelView {
    pub name: String,
    pub version: u32,
    pub display_version: String,
    pub moved_at: String,
    pub moved_by: String,
    /// The test suite whose passing run on a version the label needs before it moves there.
    pub requires_suite: Option<String>,
    /// Where the move that answered this came from (`null`: the label is new). On a move's answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_version: Option<Option<u32>>,
}

impl LabelView {
    pub fn new(name: &LabelName, label: &Label) -> Self {
        Self {
            name: name.to_string(),
            version: label.version,
            display_version: display_version(label.version),
            moved_at: timestamp::format(label.moved_at),
            moved_by: label.moved_by.clone(),
            requires_suite: label.requires_suite.as_ref().map(ToString::to_string),
            previous_version: None,
        }
    }
}

/// One move of a label: `from` null when it was created, `to` null when it was removed.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelMoveView {
    pub label: String,
    pub from: Option<u32>,
    pub to: Option<u32>,
    pub by: String,
    pub at: String,
}

/// A prompt's labels and their moves, newest first.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelsView {
    pub labels: Vec<LabelView>,
    pub moves: Vec<LabelMoveView>,
}

impl From<&PromptLabels> for LabelsView {
    fn from(labels: &PromptLabels) -> Self {
        Self {
            labels: labels.current.iter().map(|(name, label)| LabelView::new(name, label)).collect(),
            moves: labels
                .moves
                .iter()
                .rev()
                .map(|m| LabelMoveView {
                    label: m.label.to_string(),
                    from: m.from,
                    to: m.to,
                    by: m.by.clone(),
                    at: timestamp::format(m.at),
                })
                .collect(),
        }
    }
}

/// leasing: a version checkpoint, as listed.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionSnapshot {
    #[serde(rename = "_id")]
    pub id: String,
    pub version: u32,
    pub display_version: String,
    pub label: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub source: VersionSource,
    pub created_at: String,
    /// Whether this version's text is the working copy's text.
    pub matches_current_prompt: bool,
    /// The labels pointing at this version.
    pub labels: Vec<String>,
    pub preview: String,
}

impl VersionSnapshot {
    pub fn new(version: &PromptVersion, current: &Prompt) -> Self {
        let text = &version.content.text;
        let mut preview: String = text.chars().take(PREVIEW_CHARS).collect();
        if text.chars().count() > PREVIEW_CHARS {
            preview.push('…');
        }
        Self {
            id: version.id.clone(),
            version: version.version,
            display_version: version.display_version(),
            label: version.notes.label.clone(),
            title: version.notes.title.clone(),
            description: version.notes.description.clone(),
            source: version.source,
            created_at: timestamp::format(version.created_at),
            matches_current_prompt: version.content.text == current.content.text,
            labels: label_names(current, version.version),
            preview,
        }
    }
}

/// leasing: one version in full.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionDetail {
    #[serde(flatten)]
    pub snapshot: VersionSnapshot,
    pub prompt_description: Option<String>,
    #[serde(flatten)]
    pub content: ContentView,
}

impl VersionDetail {
    pub fn new(version: &PromptVersion, current: &Prompt) -> Self {
        Self {
            snapshot: VersionSnapshot::new(version, current),
            prompt_description: version.content.description.clone(),
            content: ContentView::from(&version.content),
        }
    }
}

/// leasing: `{message, prompt, versionSnapshot?}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PromptChange {
    pub message: &'static str,
    pub prompt: PromptDocument,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_snapshot: Option<VersionSnapshot>,
}

impl PromptDocument {
    pub fn with_unresolved_tools(mut self, unresolved: Vec<String>) -> Self {
        self.unresolved_tools = Some(unresolved);
        self
    }
}

impl PromptChange {
    pub fn new(message: &'static str, prompt: &Prompt, version: Option<&PromptVersion>) -> Self {
        Self {
            message,
            prompt: PromptDocument::from(prompt),
            version_snapshot: version.map(|version| VersionSnapshot::new(version, prompt)),
        }
    }
}
