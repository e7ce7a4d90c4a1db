//! What an agent is given from its knowledge bases: the best chunks across them for a query,
//! merged by reciprocal rank fusion (each base's ranking counts, not its raw scores, which are
//! not comparable across indexes), as text for the model and as references for the reply.

use super::model::{Hit, KnowledgeBase, KnowledgeRef};
use super::port::{Embedder, KnowledgeIndex, Query};
use crate::model::KnowledgeBaseId;

/// Chunks given to the model per search.
pub const CHUNKS_GIVEN: usize = 5;
/// Reciprocal rank fusion's constant: how much a first place outweighs a tenth.
const FUSION_K: f32 = 60.0;
/// What of one chunk the model reads.
const MAX_CHUNK_CHARS_GIVEN: usize = 1_200;

/// A chunk found in one of the agent's knowledge bases.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub knowledge_base_id: KnowledgeBaseId,
    pub hit: Hit,
}

impl Found {
    pub fn reference(&self) -> KnowledgeRef {
        let chunk = &self.hit.chunk;
        KnowledgeRef {
            knowledge_base_id: self.knowledge_base_id.clone(),
            document_id: chunk.document_id.clone(),
            document_name: chunk.document_name.clone(),
            heading: chunk.heading.clone(),
            page: chunk.page,
        }
    }

    /// "House rules.md › Pets, p. 3": where the model may say it found it.
    pub fn source(&self) -> String {
        let chunk = &self.hit.chunk;
        let mut source = chunk.document_name.clone();
        if !chunk.heading.is_empty() {
            source.push_str(" › ");
            source.push_str(&chunk.heading);
        }
        if let Some(page) = chunk.page {
            source.push_str(&format!(", p. {page}"));
        }
        source
    }
}

/// The query as the bases' snapshots can use it: with its embedding when one of them holds
/// embeddings and the deployment can embed (without, by words: a failing endpoint costs meaning,
/// not the answer).
pub async fn query_for(embedder: Option<&dyn Embedder>, bases: &[KnowledgeBase], text: &str) -> Query {
    let wants = bases.iter().any(|base| base.snapshot.as_ref().is_some_and(|s| s.embedded));
    let Some(embedder) = embedder.filter(|_| wants) else { return Query::words(text) };
    match embedder.embed(&[text.to_owned()]).await {
        Ok(mut vectors) => Query { text: text.to_owned(), embedding: vectors.pop() },
        Err(err) => {
            tracing::warn!(error = %err, "the query could not be embedded; searching by words");
            Query::words(text)
        }
    }
}

/// The best `limit` chunks for `query` across `bases` (those with a snapshot). A base whose
/// search fails is left out, and logged: the others still answer.
pub async fn retrieve(
    index: &dyn KnowledgeIndex,
    embedder: Option<&dyn Embedder>,
    bases: &[KnowledgeBase],
    text: &str,
    limit: usize,
) -> Vec<Found> {
    let query = query_for(embedder, bases, text).await;
    let mut fused: Vec<(f32, Found)> = Vec::new();
    for base in bases {
        let Some(snapshot) = &base.snapshot else { continue };
        let hits = match index.search(base, snapshot, &query, limit).await {
            Ok(hits) => hits,
            Err(err) => {
                tracing::warn!(knowledge_base = %base.id, error = %err, "a knowledge base could not be searched");
                continue;
            }
        };
        for (rank, hit) in hits.into_iter().enumerate() {
            let score = 1.0 / (FUSION_K + rank as f32 + 1.0);
            fused.push((score, Found { knowledge_base_id: base.id.clone(), hit }));
        }
    }
    // Stable: among equal ranks, the order the agent names its bases in.
    fused.sort_by(|a, b| b.0.total_cmp(&a.0));
    fused.into_iter().take(limit).map(|(_, found)| found).collect()
}

/// The chunks as the model reads them in its instructions, numbered, each with its source.
pub fn as_context(found: &[Found]) -> String {
    let mut text = String::from(
        "Knowledge from the business's documents, for the contact's latest message. Answer from it when it \
         helps, and say which document you used (its name). If it does not answer the question, say so; do \
         not invent.\n",
    );
    for (n, f) in found.iter().enumerate() {
        let body: String = f.hit.chunk.text.chars().take(MAX_CHUNK_CHARS_GIVEN).collect();
        text.push_str(&format!("\n[{}] {}\n{}\n", n + 1, f.source(), body));
    }
    text
}

/// The chunks as the `search_knowledge` tool answers: JSON the model reads, and the reply's
/// record reads back (`references_in`); as many of the best as fit in `max_chars` whole (a tool
/// result is kept to a size, and a cut JSON would read back as nothing).
pub fn as_tool_result(found: &[Found], max_chars: usize) -> String {
    let mut results: Vec<serde_json::Value> = Vec::new();
    for f in found {
        results.push(serde_json::json!({
            "source": f.source(),
            "text": f.hit.chunk.text.chars().take(MAX_CHUNK_CHARS_GIVEN).collect::<String>(),
            "reference": f.reference(),
        }));
        if serde_json::json!({ "results": results }).to_string().chars().count() > max_chars {
            results.pop();
            break;
        }
    }
    if results.is_empty() {
        return serde_json::json!({"results": [], "note": "Nothing in the knowledge bases matches; do not guess."})
            .to_string();
    }
    serde_json::json!({ "results": results }).to_string()
}

/// The references a `search_knowledge` result names (what `as_tool_result` wrote).
pub fn references_in(result: &str) -> Vec<KnowledgeRef> {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(result) else { return Vec::new() };
    value["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| serde_json::from_value(r["reference"].clone()).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::model::{Chunk, Snapshot};
    use crate::knowledge::port::IndexError;
    use async_trait::async_trait;

    fn base(id: &str, snapshot: bool) -> KnowledgeBase {
        let at = time::OffsetDateTime::UNIX_EPOCH;
        KnowledgeBase {
            id: id.into(),
            workspace_id: "ws".into(),
            name: id.into(),
            description: String::new(),
            snapshot: snapshot.then(|| Snapshot {
                id: format!("{id}-1"),
                built_at: at,
                documents: 1,
                chunks: 2,
                bytes: 10,
                fingerprint: String::new(),
                embedded: false,
            }),
            created_at: at,
            updated_at: at,
            revision: 0,
        }
    }

    fn hit(document: &str, score: f32) -> Hit {
        let chunk = Chunk {
            document_id: document.into(),
            document_name: format!("{document}.md"),
            heading: "Pets".into(),
            page: Some(2),
            text: format!("text of {document}"),
            embedding: None,
        };
        Hit { chunk, score }
    }

    /// Each base answers its own hits; `broken` fails.
    struct Index;

    #[async_trait]
    impl KnowledgeIndex for Index {
        async fn build(&self, _: &KnowledgeBase, _: Vec<Chunk>) -> Result<(String, u64), IndexError> {
            Err(IndexError("not here".into()))
        }
        async fn search(
            &self,
            base: &KnowledgeBase,
            _: &Snapshot,
            _: &Query,
            _: usize,
        ) -> Result<Vec<Hit>, IndexError> {
            match base.id.as_str() {
                "a" => Ok(vec![hit("a1", 9.0), hit("a2", 8.0)]),
                "b" => Ok(vec![hit("b1", 0.5)]),
                _ => Err(IndexError("down".into())),
            }
        }
        async fn retire(&self, _: &KnowledgeBase, _: &Snapshot) -> Result<(), IndexError> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn bases_are_fused_by_rank_not_raw_score_and_a_broken_or_empty_base_is_left_out() {
        let bases = [base("a", true), base("broken", true), base("b", true), base("empty", false)];

        let found = retrieve(&Index, None, &bases, "pets", 5).await;

        let documents: Vec<&str> = found.iter().map(|f| f.hit.chunk.document_id.as_str()).collect();
        assert_eq!(documents, vec!["a1", "b1", "a2"], "b's first place outranks a's second");
        assert_eq!(found[1].knowledge_base_id.as_str(), "b");
        assert_eq!(retrieve(&Index, None, &bases, "pets", 1).await.len(), 1);
    }

    #[test]
    fn a_tool_result_names_its_sources_and_reads_back_as_references() {
        let found = vec![Found { knowledge_base_id: "a".into(), hit: hit("a1", 1.0) }];

        let result = as_tool_result(&found, 4_000);
        let context = as_context(&found);

        assert_eq!(references_in(&result), vec![found[0].reference()]);
        assert!(result.contains("a1.md › Pets, p. 2"), "{result}");
        assert!(context.contains("[1] a1.md › Pets, p. 2\ntext of a1"), "{context}");
        assert!(references_in("not json").is_empty());
        assert!(references_in(&as_tool_result(&[], 4_000)).is_empty());
        let many = vec![found[0].clone(); 50];
        let bounded = as_tool_result(&many, 4_000);
        assert!(bounded.chars().count() <= 4_000 && references_in(&bounded).len() > 3, "{}", bounded.len());
    }
}
