//! Where test suites are kept.

use async_trait::async_trait;

use super::model::TestSuite;
use crate::model::{Page, PageRequest, TestSuiteId, WorkspaceId};
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
}
