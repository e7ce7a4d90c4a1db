//! Test runs end to end: a suite's scenarios played by the worker through the real reply
//! pipeline (moto), the agent, the simulated contact and the judge answered by wiremock, each
//! expectation kind passing in one scenario and failing in another; stubbed tools never receive
//! a request, nothing reaches the Graph API, the workspace's live usage and listings stay as
//! they were; a passing run opens a gated label; another workspace sees nothing and a read key
//! starts nothing.

use colloquy_domain::model::Role;
use colloquy_domain::test_suites::judge::{CONTACT_OPENING, JUDGE_OPENING};
use colloquy_tests::{call, Answer, ApiCall};
use serde_json::{json, Value};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::agent_loop::{agent_loop, completion, Loop};
use crate::tool_loop::tool_calls;

struct Runs {
    l: Loop,
    /// Where the agent's real tool lives: a run must never reach it.
    tool: MockServer,
    /// The prompt the agent answers with.
    prompt: String,
}

async fn mount(l: &Loop, priority: u8, needles: &[&str], answer: ResponseTemplate) {
    let mut mock = Mock::given(method("POST")).and(path("/v1/chat/completions"));
    for needle in needles {
        mock = mock.and(body_string_contains(*needle));
    }
    mock.respond_with(answer).with_priority(priority).mount(&l.llm).await;
}

/// The judge's JSON answer.
fn scored(score: u32, why: &str) -> ResponseTemplate {
    completion(&json!({"score": score, "why": why}).to_string())
}

/// An agent that books viewings (its tool waits for approval), whose model calls the tool for
/// any contact's message and confirms once the tool has answered; a simulated contact that asks
/// for Saturday and is then done; a judge that passes the rubric "PASS ME" and fails the rest.
async fn runs() -> Runs {
    let l = agent_loop().await;
    let tool = MockServer::start().await;
    let definition = json!({
        "name": "book_viewing", "description": "Books a flat viewing.",
        "parameters": {"type": "object", "properties": {"day": {"type": "string"}}, "required": ["day"]},
        "url": format!("{}/tools/book", tool.uri()), "requireApproval": true
    });
    let created = crate::tools::create(&l.inbox.stack, &l.inbox.key, definition).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let agent = ApiCall::fixture("update-agent")
        .key(&l.inbox.key)
        .path_param("id", &l.inbox.agent)
        .json(json!({"tools": [{"name": "book_viewing"}, {"name": "handoff_to_human"}]}));
    assert_eq!(call("update-agent", &l.inbox.stack.app, agent).await.status, 200);
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&tool).await;
    mount(&l, 1, &[JUDGE_OPENING, "PASS ME"], scored(9, "Confirms Saturday.")).await;
    mount(&l, 2, &[JUDGE_OPENING], scored(3, "Never mentions the price.")).await;
    mount(&l, 1, &[CONTACT_OPENING, "\"role\":\"assistant\""], completion("DONE")).await;
    mount(&l, 2, &[CONTACT_OPENING], completion("Can I see the flat on Saturday?")).await;
    mount(&l, 3, &["\"role\":\"tool\""], completion("Your viewing is booked for Saturday.")).await;
    let handoff = tool_calls(&[("call_2", "handoff_to_human", json!({"reason": "asked for a person"}))]);
    mount(&l, 4, &["I want a person"], handoff).await;
    let book = tool_calls(&[("call_1", "book_viewing", json!({"day": "Saturday"}))]);
    mount(&l, 5, &[], book).await;
    let prompt = crate::prompts::prompt_id(&l.inbox.stack, &l.inbox.key, "support").await;
    Runs { l, tool, prompt }
}

impl Runs {
    async fn suite(&self, scenarios: Value) -> String {
        let request = ApiCall::fixture("create-test-suite")
            .key(&self.l.inbox.key)
            .json(json!({"name": "Viewings", "scenarios": scenarios}));
        let created = call("create-test-suite", &self.l.inbox.stack.app, request).await;
        assert_eq!(created.status, 201, "{}", created.body);
        created.body["id"].as_str().unwrap_or_default().to_owned()
    }

    async fn start(&self, key: &str, suite: &str, body: Value) -> Answer {
        let request = ApiCall::fixture("start-test-run").key(key).path_param("id", suite).json(body);
        call("start-test-run", &self.l.inbox.stack.app, request).await
    }

    async fn get(&self, key: &str, suite: &str, run: &str) -> Answer {
        let request = ApiCall::fixture("get-test-run").key(key).path_param("id", suite).path_param("runId", run);
        call("get-test-run", &self.l.inbox.stack.app, request).await
    }

    /// Starts a run of `suite` against the agent, lets the worker play it; the run as read after.
    async fn run(&self, suite: &str) -> Value {
        let started = self.start(&self.l.inbox.key, suite, json!({"agentId": self.l.inbox.agent})).await;
        assert_eq!(started.status, 202, "{}", started.body);
        assert_eq!(started.body["status"], "running", "{}", started.body);
        self.l.run_worker().await;
        let run = started.body["id"].as_str().unwrap_or_default().to_owned();
        let read = self.get(&self.l.inbox.key, suite, &run).await;
        assert_eq!(read.status, 200, "{}", read.body);
        read.body
    }
}

fn scripted(name: &str, approvals: &str, expect: Value) -> Value {
    json!({"name": name, "turns": ["Is the flat free on Saturday?"], "approvals": approvals,
           "toolResults": {"book_viewing": {"booked": true, "slot": "Saturday 10:00"}}, "expect": expect})
}

fn verdicts(scenario: &Value) -> Vec<(bool, String)> {
    let verdicts = scenario["verdicts"].as_array().cloned().unwrap_or_default();
    verdicts.iter().map(|v| (v["passed"] == true, v["why"].as_str().unwrap_or_default().to_owned())).collect()
}

#[tokio::test]
async fn each_expectation_passes_in_one_scenario_and_fails_in_another_and_the_run_fails() {
    let r = runs().await;
    let passing = scripted(
        "books Saturday",
        "approve",
        json!([{"callsTool": {"name": "book_viewing", "arguments": {"day": "Saturday"}}}, {"notCallsTool": "handoff_to_human"},
               {"replyMatches": "(?i)booked"}, {"replyNotMatches": "(?i)sorry"}, {"handsOff": false},
               {"judge": {"rubric": "PASS ME: confirms the day", "passMark": 7}}]),
    );
    let failing = scripted(
        "expects what did not happen",
        "reject",
        json!([{"callsTool": {"name": "book_viewing", "arguments": {"day": "Sunday"}}}, {"notCallsTool": "book_viewing"},
               {"replyMatches": "(?i)sunday"}, {"replyNotMatches": "(?i)booked"}, {"handsOff": true},
               {"judge": {"rubric": "Quotes the price", "passMark": 7}}]),
    );
    let simulated = json!({"name": "a tenant who wants Saturday",
        "simulate": {"persona": "A busy tenant", "goal": "Book a viewing on Saturday", "maxTurns": 3},
        "toolResults": {"book_viewing": {"booked": true}}, "expect": [{"callsTool": {"name": "book_viewing"}}]});
    let handed_off = json!({"name": "asks for a person", "turns": ["I want a person", "Hello? Anyone?"],
        "expect": [{"handsOff": true}, {"notCallsTool": "book_viewing"}]});
    let suite = r.suite(json!([passing, failing, simulated, handed_off])).await;

    let run = r.run(&suite).await;

    assert_eq!((&run["status"], &run["passed"], &run["failed"]), (&json!("failed"), &json!(3), &json!(1)), "{run}");
    let person = &run["scenarios"][3];
    assert_eq!(person["status"], "passed", "{run}");
    let lines: Vec<&str> =
        person["transcript"].as_array().into_iter().flatten().filter_map(|l| l["role"].as_str()).collect();
    assert_eq!(lines, ["contact", "tool"], "once a person has it, the contact's next turn is not played: {run}");
    let scenarios = run["scenarios"].as_array().cloned().unwrap_or_default();
    let passed = verdicts(&scenarios[0]);
    assert_eq!(passed.len(), 6, "{run}");
    assert!(passed.iter().all(|(ok, _)| *ok), "{passed:?}");
    assert!(passed[5].1.contains("9/10"), "the judge's score and why: {passed:?}");
    let failed = verdicts(&scenarios[1]);
    assert_eq!(failed.len(), 6, "{run}");
    assert!(failed.iter().all(|(ok, why)| !ok && !why.is_empty()), "every one failed, saying why: {failed:?}");
    assert_eq!((&scenarios[1]["status"], &scenarios[2]["status"]), (&json!("failed"), &json!("passed")), "{run}");
    let lines = scenarios[0]["transcript"].as_array().cloned().unwrap_or_default();
    let roles: Vec<&str> = lines.iter().filter_map(|line| line["role"].as_str()).collect();
    assert_eq!(roles, ["contact", "tool", "agent"], "{run}");
    let call = &lines[1]["toolCall"];
    assert_eq!(
        (&call["name"], &call["status"], &call["arguments"]["day"]),
        (&json!("book_viewing"), &json!("succeeded"), &json!("Saturday"))
    );
    assert!(call["decidedBy"].as_str().is_some_and(|by| by.starts_with("test run ")), "who approved: {call}");
    assert_eq!(lines[1]["text"], r#"{"booked":true,"slot":"Saturday 10:00"}"#, "the stub's answer");
    assert_eq!(scenarios[1]["transcript"][1]["toolCall"]["status"], "rejected", "{run}");
    let simulated = scenarios[2]["transcript"][0]["text"].as_str().unwrap_or_default();
    assert_eq!(simulated, "Can I see the flat on Saturday?", "the simulated contact wrote first");
    assert!(scenarios[0]["tokens"]["inputTokens"].as_u64().unwrap_or(0) > 0, "{run}");
    assert!(scenarios[0]["durationMs"].is_u64() && scenarios[0]["finishedAt"].is_string(), "{run}");

    assert!(r.tool.received_requests().await.unwrap_or_default().is_empty(), "a stubbed tool is never reached");
    assert!(r.l.graph.received_requests().await.unwrap_or_default().is_empty(), "nothing is sent to WhatsApp");
    assert!(r.l.inbox.conversations().await.is_empty(), "sandbox conversations are not listed");
}

#[tokio::test]
async fn test_tokens_are_counted_apart_from_live_usage() {
    let r = runs().await;
    let suite =
        r.suite(json!([scripted("books", "approve", json!([{"judge": {"rubric": "PASS ME", "passMark": 5}}]))])).await;

    let run = r.run(&suite).await;

    assert_eq!(run["status"], "passed", "{run}");
    let today =
        colloquy_domain::usage::model::day_of(colloquy_domain::ports::Clock::now(r.l.inbox.stack.clock.as_ref()));
    let request = ApiCall::fixture("get-usage").key(&r.l.inbox.key).query("from", &today).query("to", &today);
    let usage = call("get-usage", &r.l.inbox.stack.app, request).await;
    let totals = &usage.body["totals"];
    assert_eq!(
        (&totals["inputTokens"], &totals["outputTokens"], &totals["calls"]),
        (&json!(0), &json!(0), &json!(0)),
        "{totals}"
    );
    // Two agent calls (the tool step, the reply) and the judge, 40 + 42 + 42 tokens in.
    assert_eq!((&totals["testCalls"], &totals["testInputTokens"]), (&json!(3), &json!(124)), "{totals}");
    let scenario_tokens = &run["scenarios"][0]["tokens"];
    assert_eq!(scenario_tokens["inputTokens"], json!(124), "the scenario's own count agrees: {run}");
}

#[tokio::test]
async fn a_passing_run_opens_a_gated_label_and_a_failing_one_does_not() {
    let r = runs().await;
    let failing = r.suite(json!([scripted("fails", "approve", json!([{"replyMatches": "(?i)sunday"}]))])).await;
    let passing = r.suite(json!([scripted("passes", "approve", json!([{"replyMatches": "(?i)saturday"}]))])).await;
    let move_to = |suite: &str| {
        let body = json!({"version": 1, "requiresSuite": suite});
        ApiCall::fixture("move-prompt-label")
            .key(&r.l.inbox.key)
            .path_param("promptId", &r.prompt)
            .path_param("label", "production")
            .json(body)
    };

    assert_eq!(r.run(&failing).await["status"], "failed");
    let refused = call("move-prompt-label", &r.l.inbox.stack.app, move_to(&failing)).await;
    let run = r.run(&passing).await;
    let moved = call("move-prompt-label", &r.l.inbox.stack.app, move_to(&passing)).await;

    assert_eq!(refused.status, 409, "no passing run of that suite: {}", refused.body);
    assert_eq!((&run["status"], &run["promptVersion"]), (&json!("passed"), &json!(1)), "{run}");
    assert_eq!(moved.status, 200, "the version passed the suite: {}", moved.body);
}

#[tokio::test]
async fn another_workspace_sees_no_run_and_a_read_key_starts_nothing() {
    let r = runs().await;
    let suite = r.suite(json!([scripted("books", "approve", json!([{"handsOff": false}]))])).await;
    let started = r.start(&r.l.inbox.key, &suite, json!({"agentId": r.l.inbox.agent})).await;
    let run = started.body["id"].as_str().unwrap_or_default().to_owned();
    r.l.run_worker().await;
    let stranger = r.l.inbox.stack.workspace("Stranger").await.plaintext;
    let own_reader = r.l.inbox.stack.key_for(&r.l.inbox.key, Role::Read).await;
    let queued = r.l.inbox.queued().await;

    let theirs = r.get(&stranger, &suite, &run).await;
    let started_there = r.start(&stranger, &suite, json!({"agentId": r.l.inbox.agent})).await;
    let read_only = r.start(&own_reader, &suite, json!({"agentId": r.l.inbox.agent})).await;
    let wrong_suite = r.get(&r.l.inbox.key, "another-suite", &run).await;
    let a_results_key = r.get(&r.l.inbox.key, &suite, &format!("{run}#SCN#00000")).await;
    let a_prefix = r.get(&r.l.inbox.key, &suite, &run[..8]).await;
    let unknown_agent = r.start(&r.l.inbox.key, &suite, json!({"agentId": "agt_nope"})).await;
    let unknown_label =
        r.start(&r.l.inbox.key, &suite, json!({"agentId": r.l.inbox.agent, "promptLabel": "nope"})).await;
    let both = r
        .start(&r.l.inbox.key, &suite, json!({"agentId": r.l.inbox.agent, "promptVersion": 1, "promptLabel": "x"}))
        .await;

    assert_eq!((theirs.status, started_there.status, wrong_suite.status), (404, 404, 404));
    assert_eq!((a_results_key.status, a_prefix.status), (404, 404), "an id is never read as another item");
    assert_eq!(read_only.status, 403, "{}", read_only.body);
    assert_eq!(r.l.inbox.queued().await, queued, "a refused start queues nothing");
    assert_eq!((unknown_agent.status, unknown_agent.error_field()), (400, Some("agentId")), "{}", unknown_agent.body);
    assert_eq!(
        (unknown_label.status, unknown_label.error_field()),
        (400, Some("promptLabel")),
        "{}",
        unknown_label.body
    );
    assert_eq!((both.status, both.error_field()), (400, Some("promptLabel")), "{}", both.body);
}

/// The local stand-in plays a suite's simulated contact and judge the same way every time: the
/// contact writes its goal, then is done once answered; the judge scores the share of the
/// rubric's quoted phrases found in the transcript.
#[tokio::test]
async fn the_local_stand_in_plays_contact_and_judge_deterministically() {
    use colloquy_tools::llm_standin::answer;
    let said = |messages: Value| {
        let body = json!({"messages": messages}).to_string();
        let response = answer("/llm/v1/chat/completions", body.as_bytes());
        let reply = serde_json::from_slice::<Value>(response.body().as_ref()).unwrap_or_default();
        reply["choices"][0]["message"]["content"].as_str().unwrap_or_default().to_owned()
    };
    let contact = format!("{CONTACT_OPENING}\nWho you are: A tenant\nWhat you want: See flat 4\nWrite only…");
    let judge = format!("{JUDGE_OPENING}\nScore…\n\nRubric:\nSays \"flat 4\" and \"Saturday\"");

    let first = said(
        json!([{"role": "system", "content": contact}, {"role": "user", "content": "(write your first message)"}]),
    );
    let then =
        said(json!([{"role": "system", "content": contact}, {"role": "user", "content": "(write your first message)"},
                           {"role": "assistant", "content": "See flat 4"}, {"role": "user", "content": "Sure!"}]));
    let half =
        said(json!([{"role": "system", "content": judge}, {"role": "user", "content": "Agent: Flat 4 is free"}]));
    let full =
        said(json!([{"role": "system", "content": judge}, {"role": "user", "content": "Agent: Flat 4, Saturday"}]));

    assert_eq!((first.as_str(), then.as_str()), ("See flat 4", "DONE"));
    let score = |text: &str| serde_json::from_str::<Value>(text).unwrap_or_default()["score"].clone();
    assert_eq!((score(&half), score(&full)), (json!(5), json!(10)), "{half} {full}");
}

/// A turn queued for a test conversation by anything but its run (an approval through the API,
/// a redriven trigger) is not answered by the live pipeline: its real tools stay out of reach.
#[tokio::test]
async fn the_live_pipeline_never_answers_a_test_conversation() {
    let r = runs().await;
    let suite = r.suite(json!([scripted("books", "approve", json!([{"handsOff": false}]))])).await;
    let run = r.run(&suite).await;
    let conversation = run["scenarios"][0]["conversationId"].as_str().unwrap_or_default().to_owned();
    let calls_before = r.l.llm_calls().await.len();

    // A client writes into it: the message is stored and its turn queued like any other.
    let request = ApiCall::fixture("send-prompt")
        .key(&r.l.inbox.key)
        .path_param("conversationId", &conversation)
        .json(json!({"prompt": "Is it free on Saturday?"}));
    let sent = call("send-prompt", &r.l.inbox.stack.app, request).await;
    r.l.run_worker().await;

    assert_eq!(sent.status, 200, "{}", sent.body);
    assert_eq!(r.l.llm_calls().await.len(), calls_before, "no LLM call for a stray turn");
    assert!(r.tool.received_requests().await.unwrap_or_default().is_empty());
}

/// A scenario whose trigger never finishes (every invocation timed out) fails, saying why, and
/// its run finishes instead of staying `running`.
#[tokio::test]
async fn a_scenario_whose_trigger_died_fails_and_its_run_finishes() {
    let r = runs().await;
    let suite = r.suite(json!([scripted("never finishes", "approve", json!([{"handsOff": false}]))])).await;
    let started = r.start(&r.l.inbox.key, &suite, json!({"agentId": r.l.inbox.agent})).await;
    let run = started.body["id"].as_str().unwrap_or_default().to_owned();
    for _ in 0..5 {
        assert_eq!(r.l.source.abandon_a_batch(0).await.unwrap_or_default(), 1);
    }
    assert_eq!(r.l.source.abandon_a_batch(0).await.unwrap_or_default(), 0, "moved to the dead-letter queue");

    crate::dead_letters::run_the_recorder(&r.l).await;

    let read = r.get(&r.l.inbox.key, &suite, &run).await;
    assert_eq!((&read.body["status"], &read.body["failed"]), (&json!("failed"), &json!(1)), "{}", read.body);
    let error = read.body["scenarios"][0]["error"].as_str().unwrap_or_default();
    assert!(error.contains("did not finish"), "{}", read.body);
}
