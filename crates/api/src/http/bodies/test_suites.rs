//! The bodies of `/api/v1/test-suites/`: a suite's name, description and scenarios.

use serde::Deserialize;
use serde_json::Value;

use super::not_null;
use crate::model::input::InvalidField;
use crate::model::AgentId;
use colloquy_domain::agents::model::PromptPick;
use colloquy_domain::prompts::labels::LabelName;
use colloquy_domain::test_suites::runs::StartRun;
use colloquy_domain::test_suites::{parse, parse_description, parse_name, NewTestSuite, TestSuiteChange};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewTestSuiteBody {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Read by the domain's parser, so that every problem names its field.
    pub scenarios: Value,
}

impl TryFrom<NewTestSuiteBody> for NewTestSuite {
    type Error = InvalidField;

    fn try_from(body: NewTestSuiteBody) -> Result<Self, InvalidField> {
        Ok(NewTestSuite {
            name: parse_name(&body.name)?,
            description: parse_description(body.description.as_deref())?,
            scenarios: parse::scenarios(&body.scenarios)?,
        })
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TestSuiteChangeBody {
    #[serde(default, deserialize_with = "not_null")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    pub scenarios: Option<Value>,
}

impl TryFrom<TestSuiteChangeBody> for TestSuiteChange {
    type Error = InvalidField;

    fn try_from(body: TestSuiteChangeBody) -> Result<Self, InvalidField> {
        Ok(TestSuiteChange {
            name: body.name.as_deref().map(parse_name).transpose()?,
            description: body.description.as_deref().map(|d| parse_description(Some(d))).transpose()?,
            scenarios: body.scenarios.as_ref().map(parse::scenarios).transpose()?,
        })
    }
}

/// `POST /api/v1/test-suites/{id}/runs/`: the agent, and the version (a number or a label) its
/// scenarios run against.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StartRunBody {
    pub agent_id: String,
    #[serde(default)]
    pub prompt_version: Option<u32>,
    #[serde(default)]
    pub prompt_label: Option<String>,
}

impl TryFrom<StartRunBody> for StartRun {
    type Error = InvalidField;

    fn try_from(body: StartRunBody) -> Result<Self, InvalidField> {
        let agent_id = body.agent_id.trim();
        if agent_id.is_empty() {
            return Err(InvalidField::new("agentId", "is required: the agent whose prompt the suite tests"));
        }
        let pick = match (body.prompt_version, body.prompt_label) {
            (Some(_), Some(_)) => {
                return Err(InvalidField::new("promptLabel", "a run tests a version or a label, not both"))
            }
            (Some(0), None) => return Err(InvalidField::new("promptVersion", "versions start at 1")),
            (Some(version), None) => Some(PromptPick::Version(version)),
            (None, Some(label)) => {
                Some(PromptPick::Label(LabelName::parse(&label).map_err(|err| err.at("promptLabel"))?))
            }
            (None, None) => None,
        };
        Ok(StartRun { agent_id: AgentId::from_raw(agent_id), pick })
    }
}
