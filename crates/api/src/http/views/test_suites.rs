//! Test suites as the API shows them: the scenarios exactly as written.

use serde::Serialize;

use crate::model::{timestamp, TestSuiteId};
use colloquy_domain::test_suites::model::{Scenario, TestSuite};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestSuiteView {
    pub id: TestSuiteId,
    pub name: String,
    pub description: String,
    pub scenarios: Vec<Scenario>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&TestSuite> for TestSuiteView {
    fn from(suite: &TestSuite) -> Self {
        Self {
            id: suite.id.clone(),
            name: suite.name.clone(),
            description: suite.description.clone(),
            scenarios: suite.scenarios.clone(),
            created_at: timestamp::format(suite.created_at),
            updated_at: timestamp::format(suite.updated_at),
        }
    }
}
