//! Test suites: scenarios (scripted or simulated contacts, stubbed tools, expectations) that an
//! agent's prompt version is run through before it is promoted by a label.

pub mod judge;
pub mod model;
pub mod parse;
pub mod port;
pub mod run;
pub mod runs;
pub mod sandbox;
pub mod scenario;
pub mod transcript;
pub mod verdicts;

use crate::model::input::{required_text, InvalidField};
use crate::model::{Page, PageRequest, Principal, TestSuiteId};
use crate::optimistic::Retries;
use crate::ports::Clock;
use crate::ports::StoreError;
use crate::AppError;
use model::{Scenario, TestSuite};
use port::TestSuiteStore;

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_DESCRIPTION_CHARS: usize = 1_000;

pub fn parse_name(text: &str) -> Result<String, InvalidField> {
    required_text("name", text, MAX_NAME_CHARS)
}

pub fn parse_description(text: Option<&str>) -> Result<String, InvalidField> {
    let text = text.unwrap_or_default().trim();
    if text.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(InvalidField::new("description", format!("must be at most {MAX_DESCRIPTION_CHARS} characters")));
    }
    Ok(text.to_owned())
}

/// A new suite, its values parsed.
#[derive(Debug, Clone)]
pub struct NewTestSuite {
    pub name: String,
    pub description: String,
    pub scenarios: Vec<Scenario>,
}

/// A change of a suite: `None` leaves a field as it is; `scenarios` replaces them all.
#[derive(Debug, Clone, Default)]
pub struct TestSuiteChange {
    pub name: Option<String>,
    pub description: Option<String>,
    pub scenarios: Option<Vec<Scenario>>,
}

pub async fn create(
    store: &dyn TestSuiteStore,
    clock: &dyn Clock,
    principal: &Principal,
    new: NewTestSuite,
) -> Result<TestSuite, AppError> {
    let now = clock.now();
    let suite = TestSuite {
        id: TestSuiteId::generate(),
        workspace_id: principal.workspace_id.clone(),
        name: new.name,
        description: new.description,
        scenarios: new.scenarios,
        created_at: now,
        updated_at: now,
        revision: 0,
    };
    store.put_test_suite(&suite, None).await?;
    Ok(suite)
}

pub async fn get(store: &dyn TestSuiteStore, principal: &Principal, id: &TestSuiteId) -> Result<TestSuite, AppError> {
    store
        .get_test_suite(&principal.workspace_id, id)
        .await?
        .ok_or_else(|| AppError::not_found(&format!("test suite `{id}`")))
}

pub async fn list(
    store: &dyn TestSuiteStore,
    principal: &Principal,
    page: &PageRequest,
) -> Result<Page<TestSuite>, AppError> {
    Ok(store.list_test_suites(&principal.workspace_id, page).await?)
}

/// Applies the change over the suite as it stands, again after a lost race: two changes of
/// different fields both survive.
pub async fn change(
    store: &dyn TestSuiteStore,
    clock: &dyn Clock,
    principal: &Principal,
    id: &TestSuiteId,
    change: TestSuiteChange,
) -> Result<TestSuite, AppError> {
    let mut retries = Retries::new("the test suite");
    loop {
        retries.another().await?;
        let current = get(store, principal, id).await?;
        let changed = TestSuite {
            name: change.name.clone().unwrap_or_else(|| current.name.clone()),
            description: change.description.clone().unwrap_or_else(|| current.description.clone()),
            scenarios: change.scenarios.clone().unwrap_or_else(|| current.scenarios.clone()),
            updated_at: clock.now(),
            revision: current.revision + 1,
            ..current.clone()
        };
        match store.put_test_suite(&changed, Some(current.revision)).await {
            Ok(()) => return Ok(changed),
            Err(StoreError::Conflict(_)) => continue,
            Err(err) => return Err(err.into()),
        }
    }
}

pub async fn delete(store: &dyn TestSuiteStore, principal: &Principal, id: &TestSuiteId) -> Result<(), AppError> {
    if store.delete_test_suite(&principal.workspace_id, id).await? {
        Ok(())
    } else {
        Err(AppError::not_found(&format!("test suite `{id}`")))
    }
}
