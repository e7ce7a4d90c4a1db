//! The bodies of `POST` and `PATCH /api/v1/tools/`.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::{not_null, present};
use crate::model::input::{required_text, InvalidField};
use crate::model::outbound_url::OutboundRules;
use colloquy_domain::tools::{self, NewTool, ToolChange, MAX_DESCRIPTION_CHARS};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewToolBody {
    pub name: String,
    pub description: String,
    #[serde(default)]
    pub parameters: Option<Map<String, Value>>,
    pub url: String,
    #[serde(default)]
    pub timeout_seconds: Option<u32>,
    #[serde(default)]
    pub require_approval: bool,
    #[serde(default)]
    pub approval_expiry_minutes: Option<u32>,
    #[serde(default)]
    pub arguments: Option<Map<String, Value>>,
}

/// Absent leaves a field as it is; `null` resets `parameters`, `arguments` and the numbers to
/// their defaults.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolChangeBody {
    #[serde(default, deserialize_with = "not_null")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub parameters: Option<Option<Map<String, Value>>>,
    #[serde(default, deserialize_with = "not_null")]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub timeout_seconds: Option<Option<u32>>,
    #[serde(default, deserialize_with = "not_null")]
    pub require_approval: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    pub approval_expiry_minutes: Option<Option<u32>>,
    #[serde(default, deserialize_with = "present")]
    pub arguments: Option<Option<Map<String, Value>>>,
}

impl NewToolBody {
    /// The URL must be an address the deployment's outbound rules allow.
    pub fn parse(self, rules: &OutboundRules) -> Result<NewTool, InvalidField> {
        Ok(NewTool {
            name: tools::parse_name(&self.name).map_err(|e| e.at("name"))?,
            description: required_text("description", &self.description, MAX_DESCRIPTION_CHARS)?,
            parameters: tools::parse_parameters(self.parameters).map_err(|e| e.at("parameters"))?,
            url: tools::parse_url(rules, &self.url).map_err(|e| e.at("url"))?,
            timeout_seconds: tools::parse_timeout(self.timeout_seconds).map_err(|e| e.at("timeoutSeconds"))?,
            require_approval: self.require_approval,
            approval_expiry_minutes: tools::parse_approval_expiry(self.approval_expiry_minutes)
                .map_err(|e| e.at("approvalExpiryMinutes"))?,
            arguments: tools::parse_arguments(self.arguments).map_err(|e| e.at("arguments"))?,
        })
    }
}

impl ToolChangeBody {
    pub fn parse(self, rules: &OutboundRules) -> Result<ToolChange, InvalidField> {
        Ok(ToolChange {
            name: self.name.map(|name| tools::parse_name(&name).map_err(|e| e.at("name"))).transpose()?,
            description: self
                .description
                .map(|text| required_text("description", &text, MAX_DESCRIPTION_CHARS))
                .transpose()?,
            parameters: self
                .parameters
                .map(|s| tools::parse_parameters(s).map_err(|e| e.at("parameters")))
                .transpose()?,
            url: self.url.map(|url| tools::parse_url(rules, &url).map_err(|e| e.at("url"))).transpose()?,
            timeout_seconds: self
                .timeout_seconds
                .map(|s| tools::parse_timeout(s).map_err(|e| e.at("timeoutSeconds")))
                .transpose()?,
            require_approval: self.require_approval,
            approval_expiry_minutes: self
                .approval_expiry_minutes
                .map(|m| tools::parse_approval_expiry(m).map_err(|e| e.at("approvalExpiryMinutes")))
                .transpose()?,
            arguments: self.arguments.map(|a| tools::parse_arguments(a).map_err(|e| e.at("arguments"))).transpose()?,
        })
    }
}
