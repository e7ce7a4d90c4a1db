//! Test suites in their workspace's partition; their scenarios as one JSON text (free-form tool
//! results and arguments survive as sent).

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{keys, to_item, unavailable, DynamoStore, Listing, Record};
use crate::model::{Page, PageRequest, PromptId, TestRunId, TestSuiteId, WorkspaceId};
use crate::ports::{StoreError, TestSuiteStore};
use colloquy_domain::test_suites::model::{Scenario, TestSuite};

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
