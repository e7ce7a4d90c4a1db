//! The snapshot engine: each rebuild's index is one S3 object, immutable, named by its id;
//! a search loads it into memory once per container and reuses it. A retired snapshot is tagged
//! and the bucket's lifecycle removes it a day later, so that a search that read the old pointer
//! a moment ago still finds it.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::index::{self, Loaded};
use crate::aws::OnFirstUse;
use crate::ports::{IndexError, KnowledgeIndex, KnowledgeQuery, MediaStore};
use crate::s3::S3MediaStore;
use colloquy_domain::knowledge::model::{Chunk, Hit, KnowledgeBase, Snapshot};

/// Snapshots one container keeps loaded (the most recently used).
const KEPT_LOADED: usize = 8;
/// The tag the bucket's lifecycle rule expires (`infra/template.yaml`).
pub const RETIRED_TAG: (&str, &str) = ("colloquy-retired", "true");

pub struct SnapshotIndex {
    /// The media bucket, under `knowledge/`.
    bucket: S3MediaStore,
    /// (object key, loaded index), most recently used last.
    loaded: Mutex<Vec<(String, Arc<Loaded>)>>,
}

impl SnapshotIndex {
    pub fn new(client: impl Into<OnFirstUse<aws_sdk_s3::Client>>, bucket: impl Into<String>) -> Self {
        Self { bucket: S3MediaStore::new(client, bucket), loaded: Mutex::new(Vec::new()) }
    }

    fn key(base: &KnowledgeBase, snapshot_id: &str) -> String {
        format!("knowledge/{}/{}/snapshots/{snapshot_id}.idx", base.workspace_id, base.id)
    }

    fn cached(&self, key: &str) -> Option<Arc<Loaded>> {
        let mut loaded = self.loaded.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let at = loaded.iter().position(|(k, _)| k == key)?;
        let entry = loaded.remove(at);
        let found = entry.1.clone();
        loaded.push(entry);
        Some(found)
    }

    fn keep(&self, key: String, index: Arc<Loaded>) {
        let mut loaded = self.loaded.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        loaded.retain(|(k, _)| *k != key);
        loaded.push((key, index));
        let excess = loaded.len().saturating_sub(KEPT_LOADED);
        loaded.drain(..excess);
    }

    async fn load(&self, key: &str) -> Result<Arc<Loaded>, IndexError> {
        if let Some(found) = self.cached(key) {
            return Ok(found);
        }
        let blob = self.bucket.get(key).await.map_err(|e| IndexError(format!("cannot read the snapshot: {e}")))?;
        let loaded = tokio::task::spawn_blocking(move || index::load(&blob))
            .await
            .map_err(|err| IndexError(format!("loading the snapshot stopped: {err}")))?
            .map_err(IndexError)?;
        let loaded = Arc::new(loaded);
        self.keep(key.to_owned(), loaded.clone());
        Ok(loaded)
    }
}

#[async_trait]
impl KnowledgeIndex for SnapshotIndex {
    async fn build(&self, base: &KnowledgeBase, chunks: Vec<Chunk>) -> Result<(String, u64), IndexError> {
        let blob = tokio::task::spawn_blocking(move || index::build(&chunks))
            .await
            .map_err(|err| IndexError(format!("indexing stopped: {err}")))?
            .map_err(IndexError)?;
        let id = colloquy_domain::model::ids::new_id();
        let bytes = blob.len() as u64;
        self.bucket
            .put(&Self::key(base, &id), blob, "application/octet-stream")
            .await
            .map_err(|e| IndexError(format!("cannot keep the snapshot: {e}")))?;
        Ok((id, bytes))
    }

    async fn search(
        &self,
        base: &KnowledgeBase,
        snapshot: &Snapshot,
        query: &KnowledgeQuery,
        limit: usize,
    ) -> Result<Vec<Hit>, IndexError> {
        let loaded = self.load(&Self::key(base, &snapshot.id)).await?;
        loaded.search(query, limit).map_err(IndexError)
    }

    async fn retire(&self, base: &KnowledgeBase, snapshot: &Snapshot) -> Result<(), IndexError> {
        self.bucket
            .tag(&Self::key(base, &snapshot.id), RETIRED_TAG)
            .await
            .map_err(|e| IndexError(format!("cannot retire the snapshot: {e}")))
    }
}
