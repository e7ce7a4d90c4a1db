//! An agent that answers from its knowledge bases: by its `search_knowledge` tool, or with the
//! best chunks put in its context before the first LLM call; the reply records what it was given.

use colloquy_tests::{call, meta_payload, ApiCall};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::Mock;

use crate::agent_loop::{agent_loop, completion, sent, Loop};
use crate::knowledge::HOUSE_RULES;
use crate::tool_loop::tool_calls;

/// The loop's workspace gets a knowledge base holding the house rules, indexed; its agent names it.
async fn agent_with_house_rules(l: &Loop, in_context: bool) -> String {
    let created = call(
        "create-knowledge-base",
        &l.inbox.stack.app,
        ApiCall::fixture("create-knowledge-base").key(&l.inbox.key).json(json!({"name": "Maple Court"})),
    )
    .await;
    let base = created.body["id"].as_str().unwrap_or_default().to_owned();
    let document = ApiCall::fixture("add-knowledge-document")
        .key(&l.inbox.key)
        .path_param("id", &base)
        .json(json!({"name": "House rules.md", "text": HOUSE_RULES}));
    assert_eq!(call("add-knowledge-document", &l.inbox.stack.app, document).await.status, 201);
    l.run_worker().await;
    let agent = ApiCall::fixture("update-agent")
        .key(&l.inbox.key)
        .path_param("id", &l.inbox.agent)
        .json(json!({"knowledgeBases": [base], "knowledgeInContext": in_context}));
    let updated = call("update-agent", &l.inbox.stack.app, agent).await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(
        (&updated.body["knowledgeBases"][0], &updated.body["knowledgeInContext"]),
        (&json!(base), &json!(in_context))
    );
    base
}

async fn llm_bodies(l: &Loop) -> Vec<Value> {
    l.llm_calls().await.iter().filter_map(|r| serde_json::from_slice::<Value>(&r.body).ok()).collect()
}

/// The reply the agent sent, as the messages API shows it.
async fn reply(l: &Loop) -> Value {
    let messages = l.inbox.messages().await;
    messages.into_iter().find(|m| m["direction"] == "outbound").unwrap_or(Value::Null)
}

#[tokio::test]
async fn the_agent_searches_its_knowledge_base_and_the_reply_records_what_it_read() {
    let l = agent_loop().await;
    let base = agent_with_house_rules(&l, false).await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(tool_calls(&[("call_1", "search_knowledge", json!({"query": "dogs pets"}))]))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&l.llm)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(completion("Yes: small dogs are welcome (House rules.md)."))
        .with_priority(2)
        .mount(&l.llm)
        .await;
    Mock::given(method("POST")).respond_with(sent("wamid.REPLY")).mount(&l.graph).await;

    l.inbox.deliver(&meta_payload("text")).await;
    l.run_worker().await;

    let bodies = llm_bodies(&l).await;
    assert_eq!(bodies.len(), 2, "a search, then the answer");
    let offered: Vec<&str> =
        bodies[0]["tools"].as_array().into_iter().flatten().filter_map(|t| t["function"]["name"].as_str()).collect();
    assert!(offered.contains(&"search_knowledge"), "{offered:?}");
    let results = bodies[1]["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["role"] == "tool")
        .cloned()
        .unwrap_or_default();
    let content = results["content"].as_str().unwrap_or_default();
    assert!(content.contains("Cats and small dogs are welcome"), "the model read the chunk: {content}");
    assert!(content.contains("House rules.md › House rules › Pets"), "with its source: {content}");
    let reply = reply(&l).await;
    assert_eq!(reply["text"], "Yes: small dogs are welcome (House rules.md).");
    let used = &reply["knowledgeUsed"];
    assert_eq!(
        (&used[0]["knowledgeBaseId"], &used[0]["documentName"], &used[0]["heading"]),
        (&json!(base), &json!("House rules.md"), &json!("House rules › Pets")),
        "{reply}"
    );
}

#[tokio::test]
async fn an_agent_with_knowledge_in_context_gets_the_best_chunks_before_its_first_call() {
    let l = agent_loop().await;
    agent_with_house_rules(&l, true).await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(completion("Recycling goes out on Tuesday mornings."))
        .mount(&l.llm)
        .await;
    Mock::given(method("POST")).respond_with(sent("wamid.REPLY")).mount(&l.graph).await;
    let asks = meta_payload("text").replace("\"body\": \"", "\"body\": \"When does the recycling go out? ");

    l.inbox.deliver(&asks).await;
    l.run_worker().await;

    let bodies = llm_bodies(&l).await;
    assert_eq!(bodies.len(), 1, "no tool step");
    let system = bodies[0]["messages"][0]["content"].as_str().unwrap_or_default();
    assert!(
        system.contains("House rules.md › House rules › Bins\nRecycling goes out on Tuesday mornings."),
        "{system}"
    );
    let used = &reply(&l).await["knowledgeUsed"];
    assert_eq!(used[0]["heading"], "House rules › Bins", "{used}");
}

#[tokio::test]
async fn an_agent_may_name_only_its_workspaces_knowledge_bases() {
    let l = agent_loop().await;
    let theirs = l.inbox.stack.workspace("Globex").await;
    let created = call(
        "create-knowledge-base",
        &l.inbox.stack.app,
        ApiCall::fixture("create-knowledge-base").key(&theirs.plaintext).json(json!({"name": "Globex secrets"})),
    )
    .await;
    let their_base = created.body["id"].as_str().unwrap_or_default().to_owned();

    let refused = call(
        "update-agent",
        &l.inbox.stack.app,
        ApiCall::fixture("update-agent")
            .key(&l.inbox.key)
            .path_param("id", &l.inbox.agent)
            .json(json!({"knowledgeBases": [their_base]})),
    )
    .await;

    assert_eq!((refused.status, refused.error_field()), (400, Some("knowledgeBases[0]")), "{}", refused.body);
}
