//! Knowledge bases in their workspace's partition; each one's documents in a partition of their
//! own. The snapshot pointer moves by a conditional update that bumps the revision, so that a
//! concurrent change of the name (a conditional put over the revision) cannot undo it.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use time::OffsetDateTime;

use super::{keys, to_value, unavailable, DynamoStore, Listing, Record};
use crate::model::{DocumentId, KnowledgeBaseId, Page, PageRequest, WorkspaceId};
use crate::ports::{KnowledgeStore, StoreError};
use colloquy_domain::knowledge::documents::MAX_DOCUMENTS;
use colloquy_domain::knowledge::model::{Document, Format, KnowledgeBase, Snapshot, Source, Status};

#[async_trait]
impl KnowledgeStore for DynamoStore {
    async fn put_knowledge_base(&self, base: &KnowledgeBase, expected: Option<u64>) -> Result<(), StoreError> {
        let record = StoredKnowledgeBase::from(base);
        self.put_revised(keys::knowledge_base(&base.workspace_id, &base.id), &record, expected, "knowledge base").await
    }

    async fn get_knowledge_base(
        &self,
        workspace_id: &WorkspaceId,
        id: &KnowledgeBaseId,
    ) -> Result<Option<KnowledgeBase>, StoreError> {
        self.get_as::<StoredKnowledgeBase, _>(keys::knowledge_base(workspace_id, id)).await
    }

    async fn list_knowledge_bases(
        &self,
        workspace_id: &WorkspaceId,
        page: &PageRequest,
    ) -> Result<Page<KnowledgeBase>, StoreError> {
        let pk = keys::workspace_pk(workspace_id);
        self.page_as::<StoredKnowledgeBase, _>(pk, keys::KNOWLEDGE_BASE, page, Listing::default()).await
    }

    async fn delete_knowledge_base(
        &self,
        workspace_id: &WorkspaceId,
        id: &KnowledgeBaseId,
    ) -> Result<bool, StoreError> {
        let existed = self.delete_one(keys::knowledge_base(workspace_id, id)).await?;
        let documents = self.all_items(keys::documents_pk(workspace_id, id), keys::DOCUMENT, None).await?;
        let doomed = documents.iter().filter_map(|item| Some((string(item, keys::PK)?, string(item, keys::SK)?)));
        self.delete_all(doomed.collect()).await?;
        Ok(existed)
    }

    async fn move_snapshot(
        &self,
        base: &KnowledgeBase,
        snapshot: &Snapshot,
        expected: Option<&str>,
    ) -> Result<(), StoreError> {
        let (pk, sk) = keys::knowledge_base(&base.workspace_id, &base.id);
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(keys::PK, AttributeValue::S(pk))
            .key(keys::SK, AttributeValue::S(sk))
            .update_expression("SET #snapshot = :snapshot, #revision = if_not_exists(#revision, :zero) + :one")
            .expression_attribute_names("#snapshot", "snapshot")
            .expression_attribute_names("#revision", "revision")
            .expression_attribute_values(":snapshot", to_value(&StoredSnapshot::from(snapshot))?)
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .expression_attribute_values(":one", AttributeValue::N("1".into()));
        update = match expected {
            None => update.condition_expression("attribute_exists(PK) AND attribute_not_exists(#snapshot)"),
            Some(id) => update
                .condition_expression("#snapshot.#id = :expected")
                .expression_attribute_names("#id", "id")
                .expression_attribute_values(":expected", AttributeValue::S(id.to_owned())),
        };
        match update.send().await {
            Ok(_) => Ok(()),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => {
                Err(StoreError::Conflict("the knowledge base's snapshot moved, or it is gone".into()))
            }
            Err(err) => Err(unavailable(err)),
        }
    }

    async fn put_document(&self, document: &Document, expected: Option<u64>) -> Result<(), StoreError> {
        let key = keys::document(&document.workspace_id, &document.knowledge_base_id, &document.id);
        self.put_revised(key, &StoredDocument::from(document), expected, "document").await
    }

    async fn get_document(
        &self,
        workspace_id: &WorkspaceId,
        base: &KnowledgeBaseId,
        id: &DocumentId,
    ) -> Result<Option<Document>, StoreError> {
        let stored: Option<Record<StoredDocument>> = self.get(keys::document(workspace_id, base, id)).await?;
        stored.map(|record| record.data.try_into()).transpose()
    }

    async fn list_documents(
        &self,
        workspace_id: &WorkspaceId,
        base: &KnowledgeBaseId,
        page: &PageRequest,
    ) -> Result<Page<Document>, StoreError> {
        let pk = keys::documents_pk(workspace_id, base);
        let found = self.query_page::<StoredDocument>(pk, keys::DOCUMENT, page, Listing::default()).await?;
        let items = found.items.into_iter().map(Document::try_from).collect::<Result<_, _>>()?;
        Ok(Page { items, next_cursor: found.next_cursor })
    }

    async fn all_documents(
        &self,
        workspace_id: &WorkspaceId,
        base: &KnowledgeBaseId,
    ) -> Result<Vec<Document>, StoreError> {
        let items = self.all_items(keys::documents_pk(workspace_id, base), keys::DOCUMENT, None).await?;
        items
            .into_iter()
            .take(MAX_DOCUMENTS * 2)
            .map(|item| super::from_item::<Record<StoredDocument>>(item).and_then(|record| record.data.try_into()))
            .collect()
    }

    async fn delete_document(&self, document: &Document) -> Result<bool, StoreError> {
        self.delete_one(keys::document(&document.workspace_id, &document.knowledge_base_id, &document.id)).await
    }
}

fn string(item: &super::Item, attribute: &str) -> Option<String> {
    item.get(attribute).and_then(|value| value.as_s().ok()).cloned()
}

record! {
    /// Where a knowledge base's searches read.
    StoredSnapshot for Snapshot {
        id: String,
        #[serde(with = "crate::model::timestamp::iso")]
        built_at: OffsetDateTime,
        documents: u32,
        chunks: u32,
        bytes: u64,
        fingerprint: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        embedded: bool,
    }
}

record! {
    /// How a knowledge base is stored.
    StoredKnowledgeBase for KnowledgeBase {
        id: KnowledgeBaseId,
        workspace_id: WorkspaceId,
        name: String,
        #[serde(default)]
        description: String,
        #[serde(default, skip_serializing_if = "Option::is_none", with = "snapshot_option")]
        snapshot: Option<Snapshot>,
        #[serde(with = "crate::model::timestamp::iso")]
        created_at: OffsetDateTime,
        #[serde(with = "crate::model::timestamp::iso")]
        updated_at: OffsetDateTime,
        #[serde(default)]
        revision: u64,
    }
}

/// A knowledge base's snapshot as its stored map.
mod snapshot_option {
    use super::{Snapshot, StoredSnapshot};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(value: &Option<Snapshot>, serializer: S) -> Result<S::Ok, S::Error> {
        value.as_ref().map(StoredSnapshot::from).serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Snapshot>, D::Error> {
        Ok(Option::<StoredSnapshot>::deserialize(deserializer)?.map(Snapshot::from))
    }
}

/// How a document is stored: its source, format and status as words.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredDocument {
    id: DocumentId,
    workspace_id: WorkspaceId,
    knowledge_base_id: KnowledgeBaseId,
    name: String,
    /// `text`, `url` or `upload`.
    source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    /// An upload's declared type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    upload_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    format: Option<String>,
    /// `pending`, `indexed` or `failed`.
    status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    failure: Option<String>,
    #[serde(default)]
    content_hash: String,
    #[serde(default)]
    size_bytes: u64,
    #[serde(default)]
    chunk_count: u32,
    #[serde(with = "crate::model::timestamp::iso")]
    created_at: OffsetDateTime,
    #[serde(with = "crate::model::timestamp::iso")]
    updated_at: OffsetDateTime,
    #[serde(default)]
    revision: u64,
}

impl From<&Document> for StoredDocument {
    fn from(document: &Document) -> Self {
        let (source, url, upload_type) = match &document.source {
            Source::Text => ("text", None, None),
            Source::Url(url) => ("url", Some(url.clone()), None),
            Source::Upload(content_type) => ("upload", None, Some(content_type.clone())),
        };
        let failure = match &document.status {
            Status::Failed(why) => Some(why.clone()),
            _ => None,
        };
        Self {
            id: document.id.clone(),
            workspace_id: document.workspace_id.clone(),
            knowledge_base_id: document.knowledge_base_id.clone(),
            name: document.name.clone(),
            source: source.to_owned(),
            url,
            upload_type,
            format: document.format.map(|f| f.as_str().to_owned()),
            status: document.status.as_str().to_owned(),
            failure,
            content_hash: document.content_hash.clone(),
            size_bytes: document.size_bytes,
            chunk_count: document.chunk_count,
            created_at: document.created_at,
            updated_at: document.updated_at,
            revision: document.revision,
        }
    }
}

impl TryFrom<StoredDocument> for Document {
    type Error = StoreError;

    fn try_from(stored: StoredDocument) -> Result<Self, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("document {}: {what}", stored.id));
        let source = match (stored.source.as_str(), &stored.url) {
            ("text", _) => Source::Text,
            ("url", Some(url)) => Source::Url(url.clone()),
            ("upload", _) => Source::Upload(stored.upload_type.clone().unwrap_or_default()),
            _ => return Err(corrupt("unknown source")),
        };
        let status = match stored.status.as_str() {
            "awaiting_upload" => Status::AwaitingUpload,
            "pending" => Status::Pending,
            "indexed" => Status::Indexed,
            "failed" => Status::Failed(stored.failure.clone().unwrap_or_default()),
            _ => return Err(corrupt("unknown status")),
        };
        let format =
            stored.format.as_deref().map(|f| Format::parse(f).ok_or_else(|| corrupt("unknown format"))).transpose()?;
        Ok(Document {
            id: stored.id,
            workspace_id: stored.workspace_id,
            knowledge_base_id: stored.knowledge_base_id,
            name: stored.name,
            source,
            format,
            status,
            content_hash: stored.content_hash,
            size_bytes: stored.size_bytes,
            chunk_count: stored.chunk_count,
            created_at: stored.created_at,
            updated_at: stored.updated_at,
            revision: stored.revision,
        })
    }
}
