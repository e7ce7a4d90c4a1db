//! Knowledge in a reply: for an agent that takes it in its context, the best chunks for what the
//! contact wrote are given after its instructions before the first LLM call of a run (no tool step);
//! either way, the reply records every chunk it was given (in context, or by `search_knowledge`).

use super::*;
use crate::knowledge::model::KnowledgeRef;
use crate::knowledge::retrieve::{as_context, references_in, retrieve, CHUNKS_GIVEN};
use crate::tools::call::ToolCallStatus;
use crate::tools::model::SEARCH_KNOWLEDGE;

/// What a run gave the model from its knowledge bases, found once per run.
#[derive(Debug, Clone, Default)]
pub(super) struct Given {
    pub context: String,
    pub references: Vec<KnowledgeRef>,
}

/// The longest query made of what the contact wrote.
const MAX_QUERY_CHARS: usize = 1_000;

/// The knowledge for the contact's latest turn, when the agent takes knowledge in its context:
/// sent after the instructions and outside their cache point (`ChatRequest::turn_context`), so
/// the instructions stay cached from turn to turn. Empty when there is none.
pub(super) async fn turn_context(
    ports: &ReplyPorts<'_>,
    agent: &Agent,
    tools: &tools::AgentTools,
    unanswered: &[Message],
    run: &mut Run,
) -> String {
    if !agent.knowledge.in_context || tools.knowledge().is_empty() {
        return String::new();
    }
    if run.knowledge.is_none() {
        run.knowledge = Some(match query(unanswered) {
            Some(query) => {
                let found = retrieve(ports.knowledge, ports.embedder, tools.knowledge(), &query, CHUNKS_GIVEN).await;
                let context = if found.is_empty() { String::new() } else { as_context(&found) };
                Given { context, references: found.iter().map(|f| f.reference()).collect() }
            }
            None => Given::default(),
        });
    }
    run.knowledge.as_ref().map(|given| given.context.clone()).unwrap_or_default()
}

/// What the contact wrote since the last reply (its latest messages first when it is long).
fn query(unanswered: &[Message]) -> Option<String> {
    let written: Vec<&str> = unanswered
        .iter()
        .filter(|m| m.direction == Direction::Inbound && !m.deleted)
        .filter_map(|m| m.text.as_deref())
        .collect();
    let mut query = String::new();
    for text in written.iter().rev() {
        if query.chars().count() >= MAX_QUERY_CHARS {
            break;
        }
        query = format!("{text}\n{query}");
    }
    let query: String = query.trim().chars().take(MAX_QUERY_CHARS).collect();
    (!query.is_empty()).then_some(query)
}

/// Every chunk the reply was given: in its context, and by the `search_knowledge` calls since
/// the last reply; each once.
pub(super) fn used(unanswered: &[Message], run: &Run) -> Vec<KnowledgeRef> {
    let in_context = run.knowledge.iter().flat_map(|given| given.references.iter().cloned());
    let searched = unanswered
        .iter()
        .filter_map(|m| m.tool_call.as_ref())
        .filter(|call| call.tool == SEARCH_KNOWLEDGE && call.status == ToolCallStatus::Succeeded)
        .flat_map(|call| call.result.as_deref().map(references_in).unwrap_or_default());
    let mut used: Vec<KnowledgeRef> = Vec::new();
    for reference in in_context.chain(searched) {
        if !used.contains(&reference) {
            used.push(reference);
        }
    }
    used
}
