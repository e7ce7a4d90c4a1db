use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::{keys, to_item, DynamoStore, Listing, Record};
use crate::model::{Page, PageRequest, ToolId, WorkspaceId};
use crate::ports::{StoreError, ToolStore};
use colloquy_domain::tools::model::ToolDef;

/// The item that reserves a tool's name in its workspace.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ToolName {
    tool_id: ToolId,
}

impl DynamoStore {
    fn claim_tool_name(&self, tool: &ToolDef) -> Result<aws_sdk_dynamodb::types::TransactWriteItem, StoreError> {
        let claim = ToolName { tool_id: tool.id.clone() };
        let item = to_item(&Record::new(keys::tool_name(&tool.workspace_id, &tool.name), claim))?;
        self.put(item, "attribute_not_exists(PK)", &[])
    }

    fn release_tool_name(
        &self,
        workspace_id: &str,
        name: &str,
        tool_id: &str,
    ) -> Result<aws_sdk_dynamodb::types::TransactWriteItem, StoreError> {
        let condition = ("toolId = :id", vec![(":id", AttributeValue::S(tool_id.to_owned()))]);
        self.delete_item(keys::tool_name(workspace_id, name), Some(condition))
    }
}

#[async_trait]
impl ToolStore for DynamoStore {
    async fn create_tool(&self, tool: &ToolDef) -> Result<(), StoreError> {
        let item = to_item(&Record::new(keys::tool(&tool.workspace_id, &tool.id), StoredTool::from(tool)))?;
        let items = vec![self.put(item, "attribute_not_exists(PK)", &[])?, self.claim_tool_name(tool)?];
        self.transact(items, "tool").await
    }

    async fn replace_tool(&self, tool: &ToolDef, previous_name: &str, expected: u64) -> Result<(), StoreError> {
        let item = to_item(&Record::new(keys::tool(&tool.workspace_id, &tool.id), StoredTool::from(tool)))?;
        // A tool stored before revisions has none: it is at revision 0.
        let condition = if expected == 0 {
            "attribute_exists(PK) AND (attribute_not_exists(revision) OR revision = :revision)"
        } else {
            "attribute_exists(PK) AND revision = :revision"
        };
        let values = [(":revision", AttributeValue::N(expected.to_string()))];
        let mut items = vec![self.put(item, condition, &values)?];
        if tool.name != previous_name {
            items.push(self.claim_tool_name(tool)?);
            items.push(self.release_tool_name(&tool.workspace_id, previous_name, &tool.id)?);
        }
        self.transact(items, "tool").await
    }

    async fn get_tool(&self, workspace_id: &WorkspaceId, tool_id: &ToolId) -> Result<Option<ToolDef>, StoreError> {
        self.get_as::<StoredTool, _>(keys::tool(workspace_id, tool_id)).await
    }

    async fn find_tool_by_name(&self, workspace_id: &WorkspaceId, name: &str) -> Result<Option<ToolDef>, StoreError> {
        let claim: Option<Record<ToolName>> = self.get(keys::tool_name(workspace_id, name)).await?;
        match claim {
            Some(claim) => self.get_tool(workspace_id, &claim.data.tool_id).await,
            None => Ok(None),
        }
    }

    async fn list_tools(&self, workspace_id: &WorkspaceId, page: &PageRequest) -> Result<Page<ToolDef>, StoreError> {
        self.page_as::<StoredTool, _>(keys::workspace_pk(workspace_id), keys::TOOL, page, Listing::default()).await
    }

    async fn delete_tool(&self, tool: &ToolDef) -> Result<bool, StoreError> {
        let items = vec![
            self.delete_item(keys::tool(&tool.workspace_id, &tool.id), Some(("attribute_exists(PK)", vec![])))?,
            self.release_tool_name(&tool.workspace_id, &tool.name, &tool.id)?,
        ];
        match self.transact(items, "tool").await {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict(_)) => Ok(false),
            Err(err) => Err(err),
        }
    }
}

record! {
    /// How a tool is stored: its JSON Schema and fixed arguments as JSON text.
    StoredTool for ToolDef {
        id: ToolId,
        workspace_id: WorkspaceId,
        name: String,
        description: String,
        #[serde(with = "colloquy_domain::prompts::model::json_text")]
        parameters: Map<String, Value>,
        url: String,
        timeout_seconds: u32,
        require_approval: bool,
        approval_expiry_minutes: u32,
        #[serde(default, with = "colloquy_domain::prompts::model::json_text")]
        arguments: Map<String, Value>,
        #[serde(with = "crate::model::timestamp::iso")]
        created_at: OffsetDateTime,
        #[serde(with = "crate::model::timestamp::iso")]
        updated_at: OffsetDateTime,
        #[serde(default)]
        revision: u64,
    }
}
