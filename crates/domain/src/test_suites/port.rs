//! Where test suites are kept.

use async_trait::async_trait;

use super::model::TestSuite;
use super::run::{ScenarioResult, TestRun};
use crate::model::{Page, PageRequest, PromptId, TestRunId, TestSuiteId, WorkspaceId};
use crate::ports::StoreError;

#[async_trait]
pub trait TestSuiteStore: Send + Sync {
    /// A new suite (`expected: None`), or a change over revision `expected`; `Conflict` when it
    /// exists (new), or is gone or changed (change).
    async fn put_test_suite(&self, suite: &TestSuite, expected: Option<u64>) -> Result<(), StoreError>;
    async fn get_test_suite(
        &self,
        workspace_id: &WorkspaceId,
        id: &TestSuiteId,
    ) -> Result<Option<TestSuite>, StoreError>;
    /// Oldest first.
    async fn list_test_suites(
        &self,
        workspace_id: &WorkspaceId,
        page: &PageRequest,
    ) -> Result<Page<TestSuite>, StoreError>;
    /// `false` when there was none.
    async fn delete_test_suite(&self, workspace_id: &WorkspaceId, id: &TestSuiteId) -> Result<bool, StoreError>;
    /// A run of the suite that passed on the prompt's version, if any: what a label that requires
    /// the suite needs before it moves there.
    async fn passing_run(
        &self,
        workspace_id: &WorkspaceId,
        suite: &TestSuiteId,
        prompt: &PromptId,
        version: u32,
    ) -> Result<Option<TestRunId>, StoreError>;
    /// Records that `run` of the suite passed on the prompt's version.
    async fn record_passing_run(
        &self,
        workspace_id: &WorkspaceId,
        suite: &TestSuiteId,
        prompt: &PromptId,
        version: u32,
        run: &TestRunId,
    ) -> Result<(), StoreError>;
    async fn create_test_run(&self, run: &TestRun) -> Result<(), StoreError>;
    /// The run and the results its scenarios recorded, read consistently (the scenario that
    /// records the last result sees every other one).
    async fn get_test_run(
        &self,
        workspace_id: &WorkspaceId,
        id: &TestRunId,
    ) -> Result<Option<(TestRun, Vec<ScenarioResult>)>, StoreError>;
    /// Records a scenario's result once; `false` when it had one already.
    async fn record_scenario_result(
        &self,
        workspace_id: &WorkspaceId,
        run: &TestRunId,
        result: &ScenarioResult,
    ) -> Result<bool, StoreError>;
}
