//! The bodies of `POST` and `PATCH /api/v1/policies/`.

use serde::Deserialize;

use super::not_null;
use crate::model::input::{required_text, InvalidField};
use colloquy_domain::policies::model::{Action, AppliesTo, Detector};
use colloquy_domain::policies::{parse_keyword, parse_pattern, NewPolicy, PolicyChange, MAX_NAME_CHARS};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewPolicyBody {
    pub name: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub patterns: Vec<String>,
    #[serde(default)]
    pub detectors: Vec<Detector>,
    pub applies_to: AppliesTo,
    pub action: Action,
    #[serde(default)]
    pub enabled: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyChangeBody {
    #[serde(default, deserialize_with = "not_null")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    pub keywords: Option<Vec<String>>,
    #[serde(default, deserialize_with = "not_null")]
    pub patterns: Option<Vec<String>>,
    #[serde(default, deserialize_with = "not_null")]
    pub detectors: Option<Vec<Detector>>,
    #[serde(default, deserialize_with = "not_null")]
    pub applies_to: Option<AppliesTo>,
    #[serde(default, deserialize_with = "not_null")]
    pub action: Option<Action>,
    #[serde(default, deserialize_with = "not_null")]
    pub enabled: Option<bool>,
}

impl TryFrom<NewPolicyBody> for NewPolicy {
    type Error = InvalidField;

    fn try_from(body: NewPolicyBody) -> Result<Self, InvalidField> {
        Ok(NewPolicy {
            name: required_text("name", &body.name, MAX_NAME_CHARS)?,
            keywords: keywords(body.keywords)?,
            patterns: patterns(body.patterns)?,
            detectors: body.detectors,
            applies_to: body.applies_to,
            action: body.action,
            enabled: body.enabled.unwrap_or(true),
        })
    }
}

impl TryFrom<PolicyChangeBody> for PolicyChange {
    type Error = InvalidField;

    fn try_from(body: PolicyChangeBody) -> Result<Self, InvalidField> {
        Ok(PolicyChange {
            name: body.name.map(|name| required_text("name", &name, MAX_NAME_CHARS)).transpose()?,
            keywords: body.keywords.map(keywords).transpose()?,
            patterns: body.patterns.map(patterns).transpose()?,
            detectors: body.detectors,
            applies_to: body.applies_to,
            action: body.action,
            enabled: body.enabled,
        })
    }
}

fn keywords(list: Vec<String>) -> Result<Vec<String>, InvalidField> {
    list.iter()
        .enumerate()
        .map(|(i, text)| parse_keyword(text).map_err(|err| err.at(&format!("keywords[{i}]"))))
        .collect()
}

fn patterns(list: Vec<String>) -> Result<Vec<String>, InvalidField> {
    list.iter()
        .enumerate()
        .map(|(i, text)| parse_pattern(text).map_err(|err| err.at(&format!("patterns[{i}]"))))
        .collect()
}
