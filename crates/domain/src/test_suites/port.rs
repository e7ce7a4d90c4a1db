//! Where test suites are kept.

use async_trait::async_trait;

use super::model::TestSuite;
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
}
