//! A search of a knowledge base: what an agent would be given for a question, so that a
//! person can check retrieval without a conversation.

use super::model::{Hit, Snapshot};
use super::port::{KnowledgeIndex, KnowledgeStore};
use crate::model::values::OutOfRange;
use crate::model::{KnowledgeBaseId, Principal};
use crate::AppError;

pub const DEFAULT_LIMIT: usize = 5;
pub const MAX_LIMIT: usize = 20;
pub const MAX_QUERY_CHARS: usize = 1_000;

pub fn parse_query(text: &str) -> Result<String, OutOfRange> {
    let query = text.trim();
    if query.is_empty() || query.chars().count() > MAX_QUERY_CHARS {
        return Err(OutOfRange::new(format!("must be 1 to {MAX_QUERY_CHARS} characters")));
    }
    Ok(query.to_owned())
}

pub fn parse_limit(limit: Option<u64>) -> Result<usize, OutOfRange> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT as u64).contains(&n) => Ok(n as usize),
        Some(_) => Err(OutOfRange::new(format!("must be from 1 to {MAX_LIMIT}"))),
    }
}

/// What a search found, and in which snapshot (none before the first rebuild).
#[derive(Debug, Clone)]
pub struct Found {
    pub snapshot: Option<Snapshot>,
    pub hits: Vec<Hit>,
}

pub async fn search(
    store: &dyn KnowledgeStore,
    index: &dyn KnowledgeIndex,
    embedder: Option<&dyn super::port::Embedder>,
    principal: &Principal,
    base_id: &KnowledgeBaseId,
    query: &str,
    limit: usize,
) -> Result<Found, AppError> {
    let base = super::get(store, principal, base_id).await?;
    let Some(snapshot) = base.snapshot.clone() else { return Ok(Found { snapshot: None, hits: Vec::new() }) };
    let query = super::retrieve::query_for(embedder, std::slice::from_ref(&base), query).await;
    let hits = index
        .search(&base, &snapshot, &query, limit)
        .await
        .map_err(|err| AppError::Internal(format!("the search failed: {err}")))?;
    Ok(Found { snapshot: Some(snapshot), hits })
}
