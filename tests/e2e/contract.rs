//! The route table, the template, the function binaries, the `events/` fixtures and the OpenAPI document describe the
//! same API; the local stack's table is the template's table.

use std::collections::BTreeSet;

use colloquy_adapters::config::required;
use colloquy_api::routes::{self, ROUTES};
use colloquy_tests::{project_root, TestStack};
use colloquy_tools::template::Template;
use serde_norway::Value;

fn template() -> Template {
    Template::load_default().expect("infra/template.yaml loads")
}

fn local_routes() -> BTreeSet<(String, String, String)> {
    ROUTES.iter().map(|r| (r.method.to_owned(), r.path.to_owned(), r.function.to_owned())).collect()
}

#[test]
fn every_template_route_is_served_locally_by_the_same_function() {
    let declared: BTreeSet<_> = template().routes().into_iter().map(|r| (r.method, r.path, r.binary)).collect();
    assert_eq!(declared, local_routes());
}

#[test]
fn every_route_has_a_fixture_for_its_route() {
    let mut route_keys = BTreeSet::new();
    for entry in std::fs::read_dir(project_root().join("events")).expect("events/").flatten() {
        let Ok(text) = std::fs::read_to_string(entry.path()) else { continue };
        let Ok(event) = serde_json::from_str::<serde_json::Value>(&text) else { continue };
        if event["version"] == "2.0" {
            route_keys.insert(event["routeKey"].as_str().unwrap_or_default().to_owned());
        }
    }
    for route in ROUTES {
        let key = format!("{} {}", route.method, route.path);
        assert!(route_keys.contains(&key), "no API Gateway v2 event in events/ for `{key}` ({})", route.function);
    }
}

const HTTP_METHODS: [&str; 7] = ["get", "put", "post", "delete", "patch", "head", "options"];

#[test]
fn every_route_is_in_the_openapi_document_and_nothing_else() {
    let text = std::fs::read_to_string(project_root().join("openapi.yaml")).expect("openapi.yaml");
    let document: Value = serde_norway::from_str(&text).expect("openapi.yaml is YAML");
    let mut documented = BTreeSet::new();
    for (path, item) in document["paths"].as_mapping().expect("paths").iter() {
        let methods = item.as_mapping().expect("path item").keys().filter_map(Value::as_str);
        for method in methods.filter(|key| HTTP_METHODS.contains(key)) {
            documented.insert((method.to_uppercase(), path.as_str().unwrap_or_default().to_owned()));
        }
    }
    // The console's pages are HTML for people, not the API: the document describes the API.
    let served: BTreeSet<_> = ROUTES
        .iter()
        .filter(|r| r.errors != routes::ErrorShape::Page)
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    assert_eq!(documented, served);
}

#[test]
fn routes_match_parameters_and_trailing_slashes_exactly() {
    let (route, params) = routes::find("DELETE", "/api/v1/api-keys/clq_1234/").expect("route");
    assert_eq!(route.function, "revoke-api-key");
    assert_eq!(params, vec![("prefix".to_owned(), "clq_1234".to_owned())]);
    assert!(routes::find("DELETE", "/api/v1/api-keys//").is_none());
    assert!(routes::find("GET", "/api/v1/workspace").is_none());
    assert!(routes::find("PUT", "/api/v1/workspace/").is_none());
}

#[test]
fn a_missing_configuration_value_is_named() {
    let err = required("COLLOQUY_SURELY_UNSET_VARIABLE", "a test value").expect_err("unset");
    assert!(err.to_string().contains("COLLOQUY_SURELY_UNSET_VARIABLE"), "{err}");
}

#[tokio::test]
async fn the_local_table_is_the_template_s_table() {
    let stack = TestStack::new().await;
    let spec = template().table().expect("table spec");

    let described =
        stack.dynamodb().describe_table().table_name(&stack.resources.table_name).send().await.expect("describe");
    let table = described.table.expect("table");

    let keys: Vec<(String, String)> =
        table.key_schema().iter().map(|k| (k.attribute_name().to_owned(), k.key_type().as_str().to_owned())).collect();
    let expected: Vec<(String, String)> =
        spec.key_schema.iter().map(|k| (k.attribute.clone(), k.key_type.clone())).collect();
    assert_eq!(keys, expected);
    let indexes: Vec<String> =
        table.global_secondary_indexes().iter().filter_map(|i| i.index_name().map(str::to_owned)).collect();
    assert_eq!(indexes, spec.indexes.iter().map(|i| i.name.clone()).collect::<Vec<_>>());
    assert!(!indexes.is_empty(), "the follow-up index exists");

    let attributes = stack
        .sqs()
        .get_queue_attributes()
        .queue_url(&stack.resources.queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
        .send()
        .await
        .expect("queue attributes")
        .attributes
        .unwrap_or_default();
    let attribute = |name: aws_sdk_sqs::types::QueueAttributeName| attributes.get(&name).cloned().unwrap_or_default();
    assert_eq!(attribute(aws_sdk_sqs::types::QueueAttributeName::FifoQueue), "true");
    // High-throughput FIFO, in the template and so locally: the quota is per conversation.
    assert_eq!(attribute(aws_sdk_sqs::types::QueueAttributeName::DeduplicationScope), "messageGroup");
    assert_eq!(attribute(aws_sdk_sqs::types::QueueAttributeName::FifoThroughputLimit), "perMessageGroupId");
    let redrive: serde_json::Value =
        serde_json::from_str(&attribute(aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy))
            .expect("redrive policy is JSON");
    assert_eq!(redrive["maxReceiveCount"].to_string().trim_matches('"'), "5", "{redrive}");
    assert!(
        redrive["deadLetterTargetArn"].as_str().is_some_and(|arn| arn.ends_with("-triggers-dlq.fifo")),
        "{redrive}"
    );
}

/// Every function of the route table (and the worker and scheduler) is a binary and a template
/// function, and nothing else is.
#[test]
fn every_function_is_a_binary_and_a_template_function_and_nothing_else() {
    let mut expected: BTreeSet<String> = ROUTES.iter().map(|r| r.function.to_owned()).collect();
    expected.extend(routes::EVENT_FUNCTIONS.map(str::to_owned));
    expected.insert(routes::UNROUTED_FUNCTION.to_owned());
    let binaries: BTreeSet<String> = std::fs::read_dir(project_root().join("functions/src/bin"))
        .expect("functions/src/bin")
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.strip_suffix(".rs").map(str::to_owned))
        .collect();
    let deployed: BTreeSet<String> = template().functions().into_iter().map(|f| f.binary).collect();
    assert_eq!(binaries, expected, "functions/src/bin against the route table");
    assert_eq!(deployed, expected, "infra/template.yaml against the route table");
}

/// `sam build` builds every function with the Makefile (static musl executables), which derives
/// the binary from the logical id: for each function, what `make` builds is the `Binary` the
/// template names.
#[test]
fn the_makefile_builds_each_template_function_s_own_binary() {
    for function in template().functions() {
        assert_eq!(function.build_method, "makefile", "{}: built by the Makefile", function.logical_id);
        let derived = std::process::Command::new("make")
            .current_dir(project_root())
            .args(["-s", &format!("binary-{}", function.logical_id)])
            .output()
            .expect("make runs");
        assert!(derived.status.success(), "{}: {}", function.logical_id, String::from_utf8_lossy(&derived.stderr));
        assert_eq!(
            String::from_utf8_lossy(&derived.stdout).trim(),
            function.binary,
            "{}: the Makefile would build another binary",
            function.logical_id
        );
    }
}

/// The worker reads contacts' files with `file-reader`, which it looks for beside its `bootstrap`:
/// the worker's build puts it there, beside the worker's own binary.
#[test]
fn the_worker_s_zip_holds_its_file_reader() {
    use colloquy_functions::wiring::FILE_READER;
    let dry_run = std::process::Command::new("make")
        .current_dir(project_root())
        .args(["-n", "build-AgentWorkerFunction", "ARTIFACTS_DIR=/artifacts"])
        .output()
        .expect("make runs");
    assert!(dry_run.status.success(), "{}", String::from_utf8_lossy(&dry_run.stderr));
    let commands = String::from_utf8_lossy(&dry_run.stdout);
    let copies = |from: &str, to: &str| {
        commands.lines().any(|line| line.starts_with("cp ") && line.ends_with(&format!("/{from} /artifacts/{to}")))
    };
    assert!(copies("agent-worker", "bootstrap"), "the worker's bootstrap: {commands}");
    assert!(copies(FILE_READER, FILE_READER), "the worker's file reader: {commands}");
}

/// An HTTP function's binary names its own entry of the route table (so it links only its own
/// handlers), and every entry is named by the binary of its name.
#[test]
fn every_http_binary_serves_its_own_entry_of_the_route_table() {
    for function in routes::FUNCTIONS {
        let file = project_root().join(format!("functions/src/bin/{}.rs", function.name));
        let source = std::fs::read_to_string(&file).unwrap_or_else(|err| panic!("{}: {err}", file.display()));
        let named = source.split("http_function!(").nth(1).and_then(|rest| rest.split(')').next());
        assert_eq!(named, Some(function.ident), "{} serves another function's rows", file.display());
    }
    let names: BTreeSet<_> = routes::FUNCTIONS.iter().map(|f| f.name).collect();
    assert_eq!(names.len(), routes::FUNCTIONS.len(), "two entries of the route table share a name");
    let rows: usize = routes::FUNCTIONS.iter().map(|f| f.rows.len()).sum();
    assert_eq!(rows, ROUTES.len(), "ROUTES and the functions' rows disagree");
    assert_eq!(routes::PATHS.len(), ROUTES.len(), "PATHS and ROUTES disagree");
}

/// A function's environment gives it exactly what its route rows say it builds: no queue URL,
/// Graph settings or secrets where they are not used, and none missing where they are.
#[test]
fn every_function_is_configured_for_exactly_what_it_needs() {
    use colloquy_api::Needs;
    for function in template().functions() {
        let needs = match function.binary.as_str() {
            "agent-worker" => Needs::WORKER,
            routes::UNROUTED_FUNCTION => Needs::TABLE,
            "follow-up-scheduler" => Needs::SCHEDULER,
            "retention-sweeper" => Needs::TABLE.with_media(),
            "dead-letter-recorder" => Needs::TABLE.with_queue(),
            name => routes::of_function(name).map(|function| function.needs()).unwrap_or(Needs::TABLE),
        };
        let has = |name: &str| function.environment.contains(name);
        let name = &function.binary;
        assert_eq!(has("QUEUE_URL"), needs.queue, "{name}: QUEUE_URL");
        assert_eq!(has("MEDIA_BUCKET"), needs.media, "{name}: MEDIA_BUCKET");
        assert_eq!(has("WHATSAPP_API_VERSION"), needs.whatsapp, "{name}: WHATSAPP_API_VERSION");
        assert_eq!(function.secrets.contains("WebhookSecret"), needs.webhook_secrets, "{name}: WebhookSecret");
        assert_eq!(function.secrets.contains("LlmSecret"), needs.llm, "{name}: LlmSecret");
        assert_eq!(function.secrets.contains("WhatsAppTokenSecret"), needs.whatsapp, "{name}: WhatsAppTokenSecret");
        assert!(
            !has("WHATSAPP_TOKEN") && !has("LLM_API_KEY") && !has("WHATSAPP_APP_SECRET"),
            "{name}: a secret in plain environment"
        );
    }
}

/// An operator hears of dead letters, late replies and failing or throttled functions: each
/// alarm is in the template and notifies the optional topic; the dashboard is there too.
#[test]
fn the_template_alarms_on_dead_letters_late_replies_and_failing_functions() {
    let alarms: Vec<String> = template()
        .resources("AWS::CloudWatch::Alarm")
        .iter()
        .map(|(_, alarm)| serde_norway::to_string(alarm).unwrap_or_default())
        .collect();
    for (metric, watched) in [
        // The recorder empties it; a trigger left there is one it cannot record.
        ("ApproximateAgeOfOldestMessage", "TriggerDeadLetterQueue.QueueName"),
        ("ApproximateNumberOfMessagesVisible", "SchedulerDeadLetterQueue.QueueName"),
        ("ApproximateAgeOfOldestMessage", "TriggerQueue.QueueName"),
        ("Errors", "AgentWorkerFunction"),
        ("Throttles", "AgentWorkerFunction"),
        ("Errors", "WhatsAppWebhookFunction"),
        ("Throttles", "WhatsAppWebhookFunction"),
    ] {
        let found = alarms.iter().find(|alarm| {
            alarm.contains(&format!("MetricName: {metric}\n")) && alarm.contains(&format!("{watched}\n"))
        });
        let Some(alarm) = found else { panic!("no alarm on {metric} of {watched}") };
        assert!(alarm.contains("HasAlarmTopic") && alarm.contains("AlarmTopicArn"), "notifies the topic: {alarm}");
    }
    let failure_rate =
        alarms.iter().find(|alarm| alarm.contains("MetricName: Replies") && alarm.contains("Value: failed"));
    assert!(failure_rate.is_some_and(|alarm| alarm.contains("HasAlarmTopic")), "the reply failure rate is watched");
    let dead_letters = alarms.iter().find(|alarm| {
        alarm.contains("MetricName: DeadLetters")
            && ["agent-worker", "dead-letter-recorder"].iter().all(|f| alarm.contains(f))
    });
    assert!(dead_letters.is_some_and(|alarm| alarm.contains("HasAlarmTopic")), "dead letters, whoever recorded them");
    assert_eq!(template().resources("AWS::CloudWatch::Dashboard").len(), 1, "a dashboard");
}

/// Every function that answers keys counts their requests (one conditional update of the rate
/// limits' counters), and may write nothing else on their account.
#[test]
fn every_keyed_function_may_count_requests_and_only_there() {
    for function in template().functions() {
        let keyed = routes::of_function(&function.binary)
            .is_some_and(|f| f.rows.iter().any(|route| matches!(route.access, routes::Access::Key(..))));
        let policies = serde_norway::to_string(&function.policies).unwrap_or_default();
        assert_eq!(policies.contains("RATE#*"), keyed, "{}: the rate limits' counters", function.binary);
    }
}

/// Every route that changes something is audited or says why not, and every function that
/// serves an audited route may write its entry.
#[test]
fn every_change_is_audited_or_exempt_and_its_function_may_write_the_entry() {
    use colloquy_api::audit::{AUDITED, NOT_AUDITED};
    for route in routes::ROUTES.iter().filter(|route| route.method != "GET") {
        let listed = |list: &[(&str, &str, &str)]| list.iter().any(|(m, p, _)| *m == route.method && *p == route.path);
        assert!(
            listed(AUDITED) != listed(NOT_AUDITED),
            "{} {}: in exactly one of AUDITED and NOT_AUDITED",
            route.method,
            route.path
        );
    }
    for (method, path, _) in AUDITED {
        let route = routes::ROUTES.iter().find(|r| r.method == *method && r.path == *path);
        let Some(route) = route else { panic!("{method} {path} is audited but no route") };
        let function = template().functions().into_iter().find(|f| f.binary == route.function);
        let policies = function.map(|f| serde_norway::to_string(&f.policies).unwrap_or_default()).unwrap_or_default();
        assert!(policies.contains("dynamodb:PutItem"), "{}: writes the audit entry", route.function);
    }
}

/// Bedrock is reached with the worker's role, not a key: only the worker may invoke a model, only
/// when models are configured, and only the configured ones (never `foundation-model/*`).
#[test]
fn only_the_worker_may_invoke_bedrock_and_only_the_configured_models() {
    for function in template().functions() {
        let policies = serde_norway::to_string(&function.policies).unwrap_or_default();
        if function.binary != "agent-worker" {
            assert!(!policies.contains("bedrock"), "{}: no Bedrock", function.binary);
            continue;
        }
        let bedrock = policies.find("bedrock:InvokeModel").map(|at| &policies[..at]).unwrap_or_default();
        assert!(
            bedrock.contains("!If") && bedrock.contains("HasBedrockModels"),
            "granted only when configured: {policies}"
        );
        let after = &policies[policies.find("bedrock:InvokeModel").unwrap_or(0)..];
        let statement = &after[..after.find("AWS::NoValue").unwrap_or(after.len())];
        assert!(statement.contains("BedrockModelIds"), "resources are the configured ids: {statement}");
        assert!(!statement.contains("model/*") && !statement.contains("profile/*"), "no wildcard model: {statement}");
        assert!(!after.contains("bedrock:InvokeModelWithResponseStream"), "Converse needs InvokeModel alone");
    }
}

#[test]
fn the_response_check_refuses_an_undocumented_status_and_a_body_that_breaks_the_schema() {
    use colloquy_tests::openapi::check;
    let workspace = serde_json::json!({"id": "5f7b", "name": "Acme", "role": "admin", "keyPrefix": "clq_abc"});
    assert!(check("GET", "/api/v1/workspace/", 418, &workspace).is_err(), "418 is not documented");
    assert!(check("GET", "/api/v1/workspace/", 200, &serde_json::json!({"id": 5})).is_err(), "a number for a string");
    assert!(check("GET", "/api/v1/nowhere/", 200, &workspace).is_err(), "no such path");
    let conflict = serde_json::json!({"error": {"code": "conflict", "message": "taken"}});
    assert!(check("POST", "/api/v1/policies/", 409, &conflict).is_ok());
    assert!(check("POST", "/api/v1/policies/", 409, &serde_json::json!({"message": "taken"})).is_err());
}

#[test]
fn colloquy_say_helps_refuses_unknown_options_and_sends_anything_after_two_dashes() {
    use colloquy_tools::say_args::{parse, MediaKind, Say};
    let args = |words: &[&str]| words.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
    assert_eq!(parse(args(&["--help"])), Ok(Say::Help));
    assert_eq!(parse(args(&["-h"])), Ok(Say::Help));
    assert!(parse(args(&["--bogus"])).is_err());
    assert!(parse(args(&[])).is_err());
    assert_eq!(parse(args(&["--", "--help"])), Ok(Say::Text("--help".into())));
    assert_eq!(parse(args(&["Is", "it", "free?"])), Ok(Say::Text("Is it free?".into())));
    assert_eq!(
        parse(args(&["--image", "a.jpg", "My", "payslip"])),
        Ok(Say::Media { kind: MediaKind::Image, path: "a.jpg".into(), caption: Some("My payslip".into()) })
    );
    assert_eq!(
        parse(args(&["--voice", "v.ogg"])),
        Ok(Say::Media { kind: MediaKind::Voice, path: "v.ogg".into(), caption: None })
    );
    assert!(parse(args(&["--document"])).is_err(), "a path is needed");
    assert!(parse(args(&["--image", "a.jpg", "--voice", "v.ogg"])).is_err());
}

#[test]
fn a_known_path_with_another_method_is_405_with_allow_and_an_unknown_one_404_in_the_api_s_shape() {
    let wrong = routes::unrouted("PUT", "/api/v1/tools/0198c5a2-0000-7000-8000-000000000000/");
    assert_eq!(wrong.status(), 405);
    assert_eq!(wrong.headers().get("allow").and_then(|v| v.to_str().ok()), Some("GET, PATCH, DELETE"));
    let body: serde_json::Value = serde_json::from_slice(wrong.body().as_ref()).expect("JSON");
    assert_eq!(body["error"]["code"], "method_not_allowed");
    assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("GET, PATCH, DELETE")), "{body}");
    let unknown = routes::unrouted("GET", "/api/v1/nowhere/");
    assert_eq!(unknown.status(), 404);
    let body: serde_json::Value = serde_json::from_slice(unknown.body().as_ref()).expect("JSON");
    assert_eq!(body["error"]["code"], "not_found");
}
