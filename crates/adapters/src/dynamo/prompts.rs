use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{keys, to_item, DynamoStore, Listing, Record};
use crate::model::{
    Page, PageRequest, Prompt, PromptContent, PromptId, PromptVersion, VersionNotes, VersionSource, WorkspaceId,
};
use crate::ports::{PromptFilter, PromptStore, PromptWrite, StoreError};
use colloquy_domain::prompts::labels::PromptLabels;

/// The item that reserves a name in its workspace.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NameClaim {
    prompt_id: PromptId,
}

impl DynamoStore {
    fn release_name(&self, workspace_id: &str, name: &str, prompt_id: &str) -> Result<TransactWriteItem, StoreError> {
        let condition = ("promptId = :id", vec![(":id", AttributeValue::S(prompt_id.to_owned()))]);
        self.delete_item(keys::prompt_name(workspace_id, name), Some(condition))
    }
}

#[async_trait]
impl PromptStore for DynamoStore {
    async fn save_prompt(&self, write: PromptWrite<'_>) -> Result<(), StoreError> {
        let prompt = write.prompt;
        let mut items = Vec::new();
        let record = to_item(&Record::new(keys::prompt(&prompt.workspace_id, &prompt.id), StoredPrompt::from(prompt)))?;
        items.push(match write.expected_revision {
            None => self.put(record, "attribute_not_exists(PK)", &[])?,
            Some(revision) => {
                self.put(record, "revision = :revision", &[(":revision", AttributeValue::N(revision.to_string()))])?
            }
        });
        let name_changed = write.previous_name.is_some_and(|previous| previous != prompt.name);
        if write.expected_revision.is_none() || name_changed {
            let claim = NameClaim { prompt_id: prompt.id.clone() };
            let claim = to_item(&Record::new(keys::prompt_name(&prompt.workspace_id, &prompt.name), claim))?;
            items.push(self.put(claim, "attribute_not_exists(PK)", &[])?);
        }
        if let (true, Some(previous)) = (name_changed, write.previous_name) {
            items.push(self.release_name(&prompt.workspace_id, previous, &prompt.id)?);
        }
        if let Some(version) = write.version {
            let key = keys::prompt_version(&prompt.id, version.version);
            let version_item = to_item(&Record::new(key, StoredPromptVersion::from(version)))?;
            items.push(self.put(version_item, "attribute_not_exists(PK)", &[])?);
        }
        self.transact(items, "prompt").await
    }

    async fn get_prompt(&self, workspace_id: &WorkspaceId, prompt_id: &PromptId) -> Result<Option<Prompt>, StoreError> {
        self.get_as::<StoredPrompt, _>(keys::prompt(workspace_id, prompt_id)).await
    }

    async fn find_prompt_by_name(&self, workspace_id: &WorkspaceId, name: &str) -> Result<Option<Prompt>, StoreError> {
        let claim: Option<Record<NameClaim>> = self.get(keys::prompt_name(workspace_id, name)).await?;
        match claim {
            Some(claim) => self.get_prompt(workspace_id, &claim.data.prompt_id).await,
            None => Ok(None),
        }
    }

    async fn list_prompts(
        &self,
        workspace_id: &WorkspaceId,
        filter: &PromptFilter<'_>,
        page: &PageRequest,
    ) -> Result<Page<Prompt>, StoreError> {
        let listing = Listing {
            newest_first: false,
            contains: filter.name_contains.map(|needle| ("name", needle)),
            not_true: if filter.include_hidden { None } else { Some("isHidden") },
        };
        self.page_as::<StoredPrompt, _>(keys::workspace_pk(workspace_id), keys::PROMPT, page, listing).await
    }

    async fn get_prompt_version(
        &self,
        prompt_id: &PromptId,
        version: u32,
    ) -> Result<Option<PromptVersion>, StoreError> {
        self.get_as::<StoredPromptVersion, _>(keys::prompt_version(prompt_id, version)).await
    }

    async fn list_prompt_versions(
        &self,
        prompt_id: &PromptId,
        page: &PageRequest,
    ) -> Result<Page<PromptVersion>, StoreError> {
        let listing = Listing { newest_first: true, ..Listing::default() };
        self.page_as::<StoredPromptVersion, _>(keys::prompt_versions_pk(prompt_id), keys::PROMPT_VERSION, page, listing)
            .await
    }
}

record! {
    /// How a prompt (its working copy) is stored.
    StoredPrompt for Prompt {
        id: PromptId,
        workspace_id: WorkspaceId,
        name: String,
        content: PromptContent,
        latest_version: u32,
        #[serde(with = "crate::model::timestamp::iso")]
        latest_version_at: OffsetDateTime,
        edits_since_version: u32,
        revision: u64,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        is_hidden: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        edited_by: Option<String>,
        /// Absent (prompts stored before labels, and those without any) is none.
        #[serde(default, skip_serializing_if = "labels_unused", with = "super::json_text")]
        labels: PromptLabels,
        #[serde(with = "crate::model::timestamp::iso")]
        created_at: OffsetDateTime,
        #[serde(with = "crate::model::timestamp::iso")]
        updated_at: OffsetDateTime,
        #[serde(with = "crate::model::timestamp::iso")]
        last_edited_at: OffsetDateTime,
    }
}

record! {
    /// How a prompt's version is stored.
    StoredPromptVersion for PromptVersion {
        id: String,
        prompt_id: PromptId,
        version: u32,
        content: PromptContent,
        source: VersionSource,
        #[serde(flatten)]
        notes: VersionNotes,
        #[serde(with = "crate::model::timestamp::iso")]
        created_at: OffsetDateTime,
    }
}

fn labels_unused(labels: &PromptLabels) -> bool {
    *labels == PromptLabels::default()
}
