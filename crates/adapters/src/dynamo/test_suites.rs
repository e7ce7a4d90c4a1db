//! Test suites in their workspace's partition; their scenarios as one JSON text (free-form tool
//! results and arguments survive as sent).

use async_trait::async_trait;
use time::OffsetDateTime;

use aws_sdk_dynamodb::types::AttributeValue;

use super::{from_item, keys, to_item, unavailable, DynamoStore, Listing, Record};
use crate::model::{AgentId, Page, PageRequest, PromptId, TestRunId, TestSuiteId, WorkspaceId};
use crate::ports::{StoreError, TestSuiteStore};
use colloquy_domain::test_suites::model::{Scenario, TestSuite};
use colloquy_domain::test_suites::run::{PinnedVersion, ScenarioResult, TestRun};

#[async_trait]
impl TestSuiteStore for DynamoStore {
    async fn put_test_suite(&self, suite: &TestSuite, expected: Option<u64>) -> Result<(), StoreError> {
        let record = StoredTestSuite::from(suite);
        self.put_revised(keys::test_suite(&suite.workspace_id, &suite.id), &record, expected, "test suite").await
    }

    async fn get_test_suite(
        &self,
        workspace_id: &WorkspaceId,
        id: &TestSuiteId,
    ) -> Result<Option<TestSuite>, StoreError> {
        self.get_as::<StoredTestSuite, _>(keys::test_suite(workspace_id, id)).await
    }

    async fn list_test_suites(
        &self,
        workspace_id: &WorkspaceId,
        page: &PageRequest,
    ) -> Result<Page<TestSuite>, StoreError> {
        let pk = keys::workspace_pk(workspace_id);
        self.page_as::<StoredTestSuite, _>(pk, keys::TEST_SUITE, page, Listing::default()).await
    }

    async fn delete_test_suite(&self, workspace_id: &WorkspaceId, id: &TestSuiteId) -> Result<bool, StoreError> {
        self.delete_one(keys::test_suite(workspace_id, id)).await
    }

    async fn passing_run(
        &self,
        workspace_id: &WorkspaceId,
        suite: &TestSuiteId,
        prompt: &PromptId,
        version: u32,
    ) -> Result<Option<TestRunId>, StoreError> {
        let found: Option<Record<PassedRun>> = self.get(keys::passed_run(workspace_id, suite, prompt, version)).await?;
        Ok(found.map(|record| record.data.run_id))
    }

    async fn record_passing_run(
        &self,
        workspace_id: &WorkspaceId,
        suite: &TestSuiteId,
        prompt: &PromptId,
        version: u32,
        run: &TestRunId,
    ) -> Result<(), StoreError> {
        let key = keys::passed_run(workspace_id, suite, prompt, version);
        let item = to_item(&Record::new(key, PassedRun { run_id: run.clone() }))?;
        self.client.put_item().table_name(&self.table).set_item(Some(item)).send().await.map_err(unavailable)?;
        Ok(())
    }

    async fn create_test_run(&self, run: &TestRun) -> Result<(), StoreError> {
        let record = StoredTestRun::from(run);
        self.put_revised(keys::test_run(&run.workspace_id, &run.id), &record, None, "test run").await
    }

    async fn get_test_run(
        &self,
        workspace_id: &WorkspaceId,
        id: &TestRunId,
    ) -> Result<Option<(TestRun, Vec<ScenarioResult>)>, StoreError> {
        // `#` separates the parts of a key: an id with one (from a path) names no run.
        if id.contains('#') {
            return Ok(None);
        }
        let (pk, run_key) = keys::test_run(workspace_id, id);
        let results_prefix = format!("{run_key}#SCN#");
        let mut run = None;
        let mut results = Vec::new();
        for item in self.all_items_consistently(pk, &run_key).await? {
            let sort = match item.get(keys::SK) {
                Some(AttributeValue::S(sk)) => sk.clone(),
                _ => continue,
            };
            // An id from a path may be anything (another run's prefix, a result's key): only
            // the exact run, and results under it, are read as such.
            if sort == run_key {
                run = Some(TestRun::from(from_item::<Record<StoredTestRun>>(item)?.data));
            } else if sort.starts_with(&results_prefix) {
                results.push(from_item::<Record<StoredScenarioResult>>(item)?.data.result);
            }
        }
        Ok(run.map(|run| (run, results)))
    }

    async fn record_scenario_result(
        &self,
        workspace_id: &WorkspaceId,
        run: &TestRunId,
        result: &ScenarioResult,
    ) -> Result<bool, StoreError> {
        let key = keys::test_run_result(workspace_id, run, result.index);
        let record = StoredScenarioResult { run_id: run.clone(), result: result.clone() };
        match self.put_revised(key, &record, None, "test scenario result").await {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict(_)) => Ok(false),
            Err(err) => Err(err),
        }
    }
}

record! {
    /// How a run is stored: its scenarios as one JSON text, as the suite's are.
    StoredTestRun for TestRun {
        id: TestRunId,
        workspace_id: WorkspaceId,
        suite_id: TestSuiteId,
        suite_name: String,
        agent_id: AgentId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        prompt: Option<PinnedVersion>,
        #[serde(with = "super::json_text")]
        scenarios: Vec<Scenario>,
        #[serde(with = "crate::model::timestamp::iso")]
        started_at: OffsetDateTime,
        started_by: String,
    }
}

/// A scenario's result, as one JSON text (its transcript and verdicts, as the API shows them).
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredScenarioResult {
    run_id: TestRunId,
    #[serde(with = "super::json_text")]
    result: ScenarioResult,
}

/// The marker of a run that passed: the latest one of a suite on a prompt's version.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct PassedRun {
    run_id: TestRunId,
}

record! {
    /// How a test suite is stored.
    StoredTestSuite for TestSuite {
        id: TestSuiteId,
        workspace_id: WorkspaceId,
        name: String,
        #[serde(default)]
        description: String,
        /// One JSON text: free-form tool results and arguments survive as sent.
        #[serde(with = "super::json_text")]
        scenarios: Vec<Scenario>,
        #[serde(with = "crate::model::timestamp::iso")]
        created_at: OffsetDateTime,
        #[serde(with = "crate::model::timestamp::iso")]
        updated_at: OffsetDateTime,
        #[serde(default)]
        revision: u64,
    }
}
