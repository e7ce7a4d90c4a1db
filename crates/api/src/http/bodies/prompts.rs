//! The bodies of the prompt endpoints: eigi's create-by-name (snake_case, as its seed has it),
//! leasing's edit and manual save (camelCase).

use serde::Deserialize;
use serde_json::{Map, Value};

use super::present;
use crate::model::input::{required_text, InvalidField};
use crate::model::{KnowledgeBaseId, Temperature, TestSuiteId, Tool, VersionNotes};
use colloquy_domain::knowledge;
use colloquy_domain::prompts::labels::LabelTarget;
use colloquy_domain::prompts::{
    self, NewPromptVersion, PromptEdit, MAX_DESCRIPTION_CHARS, MAX_LABEL_CHARS, MAX_NAME_CHARS,
};

/// `POST /v1/public/prompts`
#[derive(Debug, Deserialize)]
pub struct NewPromptVersionBody {
    pub prompt_name: String,
    pub prompt_content: String,
    #[serde(default)]
    pub prompt_metadata: Option<Map<String, Value>>,
    /// Colloquy's: the knowledge bases agents answering with the prompt search.
    #[serde(default)]
    pub knowledge_bases: Option<Vec<KnowledgeBaseId>>,
}

impl TryFrom<NewPromptVersionBody> for NewPromptVersion {
    type Error = InvalidField;

    fn try_from(body: NewPromptVersionBody) -> Result<Self, InvalidField> {
        Ok(NewPromptVersion {
            name: required_text("prompt_name", &body.prompt_name, MAX_NAME_CHARS)?,
            text: prompts::text(&body.prompt_content).map_err(|err| err.at("prompt_content"))?,
            metadata: body
                .prompt_metadata
                .map(prompts::metadata)
                .transpose()
                .map_err(|err| err.under("prompt_metadata"))?,
            knowledge_bases: body
                .knowledge_bases
                .map(knowledge::parse_named_bases)
                .transpose()
                .map_err(|err| err.at("knowledge_bases"))?,
        })
    }
}

/// `PUT /api/prompts/{promptId}`: every field optional; `null` clears an optional one.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PromptEditBody {
    pub name: Option<String>,
    pub prompt: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub temperature: Option<Option<f64>>,
    #[serde(default, deserialize_with = "present")]
    pub response_time: Option<Option<f64>>,
    #[serde(default, deserialize_with = "present")]
    pub tools: Option<Option<Vec<Tool>>>,
    #[serde(default, deserialize_with = "present")]
    pub tool_configs: Option<Option<Map<String, Value>>>,
    #[serde(default, deserialize_with = "present")]
    pub knowledge_bases: Option<Option<Vec<KnowledgeBaseId>>>,
    pub is_hidden: Option<bool>,
}

impl TryFrom<PromptEditBody> for PromptEdit {
    type Error = InvalidField;

    fn try_from(body: PromptEditBody) -> Result<Self, InvalidField> {
        let temperature =
            |t: f64| Temperature::within(t, Temperature::MAX_FOR_PROMPTS).map_err(|e| e.at("temperature"));
        let response_time = |s: f64| prompts::response_time(s).map_err(|e| e.at("responseTime"));
        Ok(PromptEdit {
            name: body.name.map(|name| required_text("name", &name, MAX_NAME_CHARS)).transpose()?,
            text: body.prompt.map(|text| prompts::text(&text).map_err(|e| e.at("prompt"))).transpose()?,
            description: body
                .description
                .map(|d| prompts::optional_text(d, MAX_DESCRIPTION_CHARS).map_err(|e| e.at("description")))
                .transpose()?,
            temperature: body.temperature.map(|t| t.map(temperature).transpose()).transpose()?,
            response_time: body.response_time.map(|s| s.map(response_time).transpose()).transpose()?,
            tools: body
                .tools
                .map(|list| prompts::tools(list.unwrap_or_default()).map_err(|e| e.under("tools")))
                .transpose()?,
            tool_configs: body
                .tool_configs
                .map(|configs| prompts::tool_configs(configs.unwrap_or_default()).map_err(|e| e.under("toolConfigs")))
                .transpose()?,
            knowledge_bases: body
                .knowledge_bases
                .map(|bases| {
                    knowledge::parse_named_bases(bases.unwrap_or_default()).map_err(|e| e.at("knowledgeBases"))
                })
                .transpose()?,
            is_hidden: body.is_hidden,
        })
    }
}

/// `POST /api/prompts/{promptId}/versions`: what the person saving says about the version.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManualSaveBody {
    pub label: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
}

impl TryFrom<ManualSaveBody> for VersionNotes {
    type Error = InvalidField;

    fn try_from(body: ManualSaveBody) -> Result<Self, InvalidField> {
        let text = |field: &str, value, max| prompts::optional_text(value, max).map_err(|e| e.at(field));
        Ok(VersionNotes {
            label: text("label", body.label, MAX_LABEL_CHARS)?,
            title: text("title", body.title, MAX_LABEL_CHARS)?,
            description: text("description", body.description, MAX_DESCRIPTION_CHARS)?,
        })
    }
}

/// `PUT /api/prompts/{promptId}/labels/{label}`: the version the label points at.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelMoveBody {
    pub version: u32,
    /// A suite whose passing run the label needs before it moves; `null` drops the requirement.
    #[serde(default, deserialize_with = "present")]
    pub requires_suite: Option<Option<TestSuiteId>>,
}

impl TryFrom<LabelMoveBody> for LabelTarget {
    type Error = InvalidField;

    fn try_from(body: LabelMoveBody) -> Result<Self, InvalidField> {
        if body.version == 0 {
            return Err(InvalidField::new("version", "must be a version number (1, 2, …)"));
        }
        Ok(LabelTarget { version: body.version, requires_suite: body.requires_suite })
    }
}
