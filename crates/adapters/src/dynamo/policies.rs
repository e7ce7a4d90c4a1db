use async_trait::async_trait;
use time::OffsetDateTime;

use super::{keys, to_item, DynamoStore, Listing, Record};
use crate::model::{ConversationId, Page, PageRequest, PolicyId, WorkspaceId};
use crate::ports::{PolicyStore, StoreError};
use colloquy_domain::policies::model::{Action, AppliesTo, Detector, Flow, Policy, Violation};

#[async_trait]
impl PolicyStore for DynamoStore {
    async fn put_policy(&self, policy: &Policy, expected: Option<u64>) -> Result<(), StoreError> {
        let record = StoredPolicy::from(policy);
        self.put_revised(keys::policy(&policy.workspace_id, &policy.id), &record, expected, "policy").await
    }

    async fn get_policy(&self, workspace_id: &WorkspaceId, policy_id: &PolicyId) -> Result<Option<Policy>, StoreError> {
        self.get_as::<StoredPolicy, _>(keys::policy(workspace_id, policy_id)).await
    }

    async fn list_policies(&self, workspace_id: &WorkspaceId, page: &PageRequest) -> Result<Page<Policy>, StoreError> {
        self.page_as::<StoredPolicy, _>(keys::workspace_pk(workspace_id), keys::POLICY, page, Listing::default()).await
    }

    async fn delete_policy(&self, workspace_id: &WorkspaceId, policy_id: &PolicyId) -> Result<bool, StoreError> {
        self.delete_one(keys::policy(workspace_id, policy_id)).await
    }

    async fn record_violations(&self, violations: &[Violation]) -> Result<(), StoreError> {
        if violations.is_empty() {
            return Ok(());
        }
        let items = violations
            .iter()
            .map(|v| to_item(&Record::new(keys::violation(&v.workspace_id, &v.id), StoredViolation::from(v))))
            .collect::<Result<Vec<_>, _>>()?;
        self.put_all_new(items, "violation").await
    }

    async fn list_violations(
        &self,
        workspace_id: &WorkspaceId,
        page: &PageRequest,
    ) -> Result<Page<Violation>, StoreError> {
        let listing = Listing { newest_first: true, ..Listing::default() };
        self.page_as::<StoredViolation, _>(keys::workspace_pk(workspace_id), keys::VIOLATION, page, listing).await
    }
}

record! {
    /// How a policy is stored.
    StoredPolicy for Policy {
        id: PolicyId,
        workspace_id: WorkspaceId,
        name: String,
        #[serde(default)]
        keywords: Vec<String>,
        #[serde(default)]
        patterns: Vec<String>,
        #[serde(default)]
        detectors: Vec<Detector>,
        applies_to: AppliesTo,
        action: Action,
        enabled: bool,
        #[serde(with = "crate::model::timestamp::iso")]
        created_at: OffsetDateTime,
        #[serde(with = "crate::model::timestamp::iso")]
        updated_at: OffsetDateTime,
        #[serde(default)]
        revision: u64,
    }
}

record! {
    /// How a violation is stored.
    StoredViolation for Violation {
        id: String,
        workspace_id: WorkspaceId,
        policy_id: PolicyId,
        policy_name: String,
        flow: Flow,
        action: Action,
        conversation_id: ConversationId,
        excerpt: String,
        #[serde(with = "crate::model::timestamp::iso")]
        created_at: OffsetDateTime,
    }
}
