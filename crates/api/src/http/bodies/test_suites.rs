//! The bodies of `/api/v1/test-suites/`: a suite's name, description and scenarios.

use serde::Deserialize;
use serde_json::Value;

use super::not_null;
use crate::model::input::InvalidField;
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
