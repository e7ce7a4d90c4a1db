//! An agent that answers from its knowledge bases: by its `search_knowledge` tool, or with the
//! best chunks put in its context before the first LLM call; the reply records what it was given.

use colloquy_tests::{call, meta_payload, ApiCall};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::Mock;

use crate::agent_loop::{agent_loop, completion, sent, Loop};
use crate::knowledge::HOUSE_RULES;
use crate::tool_loop::tool_calls;

/// The loop's workspace gets a knowledge base holding the house rules, indexed.
async fn house_rules(l: &Loop) -> String {
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
    base
}

/// The loop's workspace gets a knowledge base holding the house rules, indexed; its agent names it.
async fn agent_with_house_rules(l: &Loop, in_context: bool) -> String {
    let base = house_rules(l).await;
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
    searches_then_answers(&l, "dogs pets", "Yes: small dogs are welcome (House rules.md).").await;

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
    let messages = &bodies[0]["messages"];
    assert_eq!(messages[0], json!({"role": "system", "content": "You are helpful."}), "the instructions alone");
    let context = messages[1]["content"].as_str().unwrap_or_default();
    assert_eq!(messages[1]["role"], "system", "the knowledge follows them: {messages}");
    assert!(
        context.contains("House rules.md › House rules › Bins\nRecycling goes out on Tuesday mornings."),
        "{context}"
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

/// A search for `query` the model asks for first, then the answer it gives.
async fn searches_then_answers(l: &Loop, query: &str, answer: &str) {
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(tool_calls(&[("call_1", "search_knowledge", json!({"query": query}))]))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&l.llm)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(completion(answer))
        .with_priority(2)
        .mount(&l.llm)
        .await;
    Mock::given(method("POST")).respond_with(sent("wamid.REPLY")).mount(&l.graph).await;
}

fn offered(body: &Value) -> Vec<String> {
    body["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["function"]["name"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn a_prompt_naming_a_knowledge_base_gives_its_agents_search_knowledge_over_it() {
    let l = agent_loop().await;
    let base = house_rules(&l).await;
    let stack = &l.inbox.stack;
    let prompt = crate::prompts::prompt_id(stack, &l.inbox.key, "support").await;
    let edited = crate::prompts::update(stack, &l.inbox.key, &prompt, json!({"knowledgeBases": [base]})).await;
    assert_eq!((edited.status, &edited.body["prompt"]["knowledgeBases"]), (200, &json!([base])), "{}", edited.body);
    searches_then_answers(&l, "bins", "Bins go out on Tuesday mornings (House rules.md).").await;

    l.inbox.deliver(&meta_payload("text")).await;
    l.run_worker().await;

    let bodies = llm_bodies(&l).await;
    assert!(offered(&bodies[0]).contains(&"search_knowledge".to_owned()), "{:?}", offered(&bodies[0]));
    let tool_result = bodies[1]["messages"].as_array().into_iter().flatten().find(|m| m["role"] == "tool").cloned();
    let content = tool_result.map(|m| m["content"].to_string()).unwrap_or_default();
    assert!(content.contains("Recycling goes out on Tuesday mornings"), "the prompt's base was searched: {content}");
    assert_eq!(reply(&l).await["knowledgeUsed"][0]["knowledgeBaseId"], json!(base));
}

#[tokio::test]
async fn a_prompt_that_names_no_knowledge_base_offers_no_search() {
    let l = agent_loop().await;
    house_rules(&l).await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(completion("Hello!"))
        .mount(&l.llm)
        .await;
    Mock::given(method("POST")).respond_with(sent("wamid.REPLY")).mount(&l.graph).await;

    l.inbox.deliver(&meta_payload("text")).await;
    l.run_worker().await;

    let bodies = llm_bodies(&l).await;
    assert!(!offered(&bodies[0]).contains(&"search_knowledge".to_owned()), "{:?}", offered(&bodies[0]));
}

#[tokio::test]
async fn eigis_shape_names_knowledge_bases_per_version_and_keeps_them_for_the_next() {
    let l = agent_loop().await;
    let base = house_rules(&l).await;
    let stack = &l.inbox.stack;
    let create =
        |body: Value| call("create-prompt", &stack.app, ApiCall::fixture("create-prompt").key(&l.inbox.key).json(body));

    let first = create(json!({"prompt_name": "front-desk", "prompt_content": "v1", "knowledge_bases": [base]})).await;
    let second = create(json!({"prompt_name": "front-desk", "prompt_content": "v2"})).await;
    let cleared = create(json!({"prompt_name": "front-desk", "prompt_content": "v3", "knowledge_bases": []})).await;

    assert_eq!((first.status, &first.body["knowledge_bases"]), (201, &json!([base])), "{}", first.body);
    assert_eq!(second.body["knowledge_bases"], json!([base]), "kept from the version before");
    assert_eq!(cleared.body["knowledge_bases"], json!([]));
    let version = call(
        "get-public-prompt",
        &stack.app,
        ApiCall::fixture("get-public-prompt")
            .key(&l.inbox.key)
            .path_param("prompt_name", "front-desk")
            .query("version", "1"),
    )
    .await;
    assert_eq!(version.body["knowledge_bases"], json!([base]), "{}", version.body);
}

#[tokio::test]
async fn a_prompt_may_name_only_its_workspaces_knowledge_bases_in_either_shape() {
    let l = agent_loop().await;
    let stack = &l.inbox.stack;
    let theirs = stack.workspace("Globex").await;
    let created = call(
        "create-knowledge-base",
        &stack.app,
        ApiCall::fixture("create-knowledge-base").key(&theirs.plaintext).json(json!({"name": "Globex secrets"})),
    )
    .await;
    let their_base = created.body["id"].as_str().unwrap_or_default().to_owned();
    let ours = house_rules(&l).await;
    let prompt = crate::prompts::prompt_id(stack, &l.inbox.key, "support").await;

    let leasing =
        crate::prompts::update(stack, &l.inbox.key, &prompt, json!({"knowledgeBases": [ours, their_base]})).await;
    let eigi = call(
        "create-prompt",
        &stack.app,
        ApiCall::fixture("create-prompt")
            .key(&l.inbox.key)
            .json(json!({"prompt_name": "support", "prompt_content": "v2", "knowledge_bases": [their_base]})),
    )
    .await;

    assert_eq!((leasing.status, leasing.error_field()), (400, Some("knowledgeBases[1]")), "{}", leasing.body);
    assert_eq!((eigi.status, eigi.error_field()), (400, Some("knowledge_bases[0]")), "{}", eigi.body);
    let unchanged = call(
        "get-prompt",
        &stack.app,
        ApiCall::fixture("get-prompt").key(&l.inbox.key).path_param("promptId", &prompt),
    )
    .await;
    assert_eq!((&unchanged.body["knowledgeBases"], &unchanged.body["version"]), (&json!([]), &json!(1)));
}

#[tokio::test]
async fn on_bedrock_the_knowledge_in_context_comes_after_the_instructions_cache_point() {
    let l = agent_loop().await;
    agent_with_house_rules(&l, true).await;
    let worker = crate::bedrock::on_bedrock(&l, json!({})).await;
    Mock::given(method("POST"))
        .and(wiremock::matchers::path_regex(r"^/model/[^/]+/converse$"))
        .respond_with(crate::bedrock::says("Tuesday mornings."))
        .mount(&l.llm)
        .await;
    Mock::given(method("POST")).respond_with(sent("wamid.REPLY")).mount(&l.graph).await;
    let asks = meta_payload("text").replace("\"body\": \"", "\"body\": \"When does the recycling go out? ");

    l.inbox.deliver(&asks).await;
    l.source.drain(&worker, 20).await.expect("worker runs");

    let calls = crate::bedrock::converse_calls(&l).await;
    let system = crate::bedrock::body(&calls[0])["system"].clone();
    assert_eq!(system[0], json!({"text": "You are helpful."}));
    assert_eq!(system[1], json!({"cachePoint": {"type": "default"}}), "the instructions end the cached prefix");
    let context = system[2]["text"].as_str().unwrap_or_default();
    assert!(context.contains("Recycling goes out on Tuesday mornings."), "after it: {system}");
}
