//! Tools a workspace defines, and the calls agents make to them.

use async_trait::async_trait;

use crate::model::{Conversation, ConversationId, Message, MessageId, Page, PageRequest, ToolId, WorkspaceId};
use crate::ports::{DueApproval, StoreError};
use crate::tools::model::ToolDef;
use crate::usage::model::UsageDelta;

#[async_trait]
pub trait ToolStore: Send + Sync {
    /// Creates a tool; `Conflict` when the workspace has a tool of that name.
    async fn create_tool(&self, tool: &ToolDef) -> Result<(), StoreError>;
    /// Replaces an existing tool (renamed from `previous_name`) if it is still at revision
    /// `expected`; `Conflict` when the new name is taken, the tool is gone or it changed.
    async fn replace_tool(&self, tool: &ToolDef, previous_name: &str, expected: u64) -> Result<(), StoreError>;
    async fn get_tool(&self, workspace_id: &WorkspaceId, tool_id: &ToolId) -> Result<Option<ToolDef>, StoreError>;
    async fn find_tool_by_name(&self, workspace_id: &WorkspaceId, name: &str) -> Result<Option<ToolDef>, StoreError>;
    /// Oldest first.
    async fn list_tools(&self, workspace_id: &WorkspaceId, page: &PageRequest) -> Result<Page<ToolDef>, StoreError>;
    /// `false` when there was no such tool.
    async fn delete_tool(&self, tool: &ToolDef) -> Result<bool, StoreError>;
}

#[async_trait]
pub trait ToolCallStore: Send + Sync {
    /// The conversation (conditional on its revision) and the calls of one answer, stored before
    /// any runs, with a watch for each that awaits approval (it expires on time).
    async fn save_tool_calls(
        &self,
        conversation: &Conversation,
        expected_revision: u64,
        calls: &[Message],
        watches: &[DueApproval],
        usage: &UsageDelta,
    ) -> Result<(), StoreError>;
    /// Replaces a call's message if its status is still `expected`; `Conflict` otherwise.
    async fn update_tool_call(
        &self,
        message: &Message,
        expected: crate::tools::call::ToolCallStatus,
    ) -> Result<(), StoreError>;
    /// The workspace's calls awaiting a person's decision, as their watches show them; soonest
    /// to expire first. At most `limit`.
    async fn awaiting_approval(&self, workspace_id: &WorkspaceId, limit: u32) -> Result<Vec<DueApproval>, StoreError>;
    /// The call was decided or expired: nothing to watch.
    async fn end_approval_watch(
        &self,
        workspace_id: &WorkspaceId,
        conversation_id: &ConversationId,
        message_id: &MessageId,
    ) -> Result<(), StoreError>;
}
