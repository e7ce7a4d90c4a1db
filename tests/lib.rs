//! Test support: a fresh table and queue on moto per test, API Gateway events from `events/`,
//! and calls to handlers exactly as Lambda makes them.

use colloquy_domain::model::outbound_url::OutboundRules;
pub mod openapi;

use std::net::ToSocketAddrs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use aws_config::SdkConfig;
use colloquy_adapters::clock::ManualClock;
use colloquy_adapters::dynamo::DynamoStore;
use colloquy_adapters::reading::{IsolatedReader, ReaderLimits};
use colloquy_adapters::sqs::SqsTriggerQueue;
use colloquy_adapters::vault::SecretsManagerVault;
use colloquy_api::http::{Body, Request, Response};
use colloquy_api::routes;
use colloquy_api::App;
use colloquy_domain::model::IssuedKey;
use colloquy_domain::ports::{DownloadError, GraphError, MediaInfo, NumberInfo, Outbound, Secret, Sender, WhatsApp};
use colloquy_domain::workspaces::create_workspace;
use colloquy_tools::stack::{self, LocalResources};
use colloquy_tools::template::Template;
use serde_json::Value;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Respond, ResponseTemplate};

pub const MOTO_ENDPOINT_VAR: &str = "COLLOQUY_TEST_AWS_ENDPOINT";
pub const DEFAULT_MOTO_ENDPOINT: &str = "http://127.0.0.1:5055";

pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn moto_endpoint() -> String {
    std::env::var(MOTO_ENDPOINT_VAR).unwrap_or_else(|_| DEFAULT_MOTO_ENDPOINT.to_owned())
}

/// Fails, saying how to start it, when moto is not there. Never skips.
fn require_moto(endpoint: &str) {
    let authority = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let reachable = authority
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .is_some_and(|addr| std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok());
    assert!(
        reachable,
        "moto (the local AWS) is not reachable at {endpoint}. Run the tests with `scripts/test`, which starts it, \
         or start it yourself with `.venv/bin/python infra/local/moto_server.py -p 5055` (set {MOTO_ENDPOINT_VAR} for another address)."
    );
}

/// Names another reader program for the tests (the deployed musl `file-reader`, say).
pub const READER_VAR: &str = "COLLOQUY_TEST_READER";

/// A file reader whose children are `colloquy-reader` (the worker's `file-reader`, built by cargo
/// beside the test binary: `target/<profile>/` holds it, `target/<profile>/deps/` the tests), or
/// the program `COLLOQUY_TEST_READER` names.
pub fn test_reader(limits: ReaderLimits) -> IsolatedReader {
    let program = match std::env::var_os(READER_VAR) {
        Some(program) => std::path::PathBuf::from(program),
        None => {
            let exe = std::env::current_exe().expect("the test binary has a path");
            let dir = exe.parent().and_then(Path::parent).expect("the test binary is in target/<profile>/deps");
            dir.join("colloquy-reader")
        }
    };
    assert!(program.exists(), "{} is missing: build it with `cargo build -p colloquy-tests`", program.display());
    IsolatedReader::new(program, limits)
}

/// One test's own table and queues on moto, and an `App` on the real adapters.
pub struct TestStack {
    pub aws: SdkConfig,
    pub resources: LocalResources,
    pub app: App,
    pub clock: Arc<ManualClock>,
    pub store: Arc<DynamoStore>,
    /// Meta as far as number ownership goes: answers `GET /{phone-number-id}` for `TEST_TOKEN`.
    pub meta: MockServer,
}

impl TestStack {
    pub async fn new() -> Self {
        let endpoint = moto_endpoint();
        require_moto(&endpoint);
        let local = stack::LocalAws::single(&endpoint).await;
        let aws = local.dynamodb.clone();
        let template = Template::load_default().expect("infra/template.yaml loads");
        let name = format!("test-{}", uuid_like());
        let resources = stack::provision(&local, &template, &name).await.expect("table and queues are created on moto");
        let clock = Arc::new(ManualClock::new(time::OffsetDateTime::now_utc()));
        let store = Arc::new(DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), &resources.table_name));
        let meta = MockServer::start().await;
        Mock::given(method("GET")).respond_with(MetaNumbers).mount(&meta).await;
        let whatsapp =
            Arc::new(TestWhatsApp { lookups: graph_client(&meta.uri()), sends: graph_client(UNREACHABLE_GRAPH) });
        let outbound = Arc::new(
            colloquy_adapters::outbound::HttpEventDelivery::new(Duration::from_secs(5), loopback())
                .expect("event HTTP client"),
        );
        let mut app = App::new(
            store.clone(),
            Arc::new(SqsTriggerQueue::new(aws_sdk_sqs::Client::new(&aws), &resources.queue_url)),
            clock.clone(),
            whatsapp,
        )
        .with_event_delivery(outbound.clone())
        .with_knowledge(local.knowledge_index(&resources.media_bucket), outbound)
        .allowing_loopback_http(colloquy_tools::ephemeral_ports())
        .with_webhook_secrets(colloquy_api::WebhookSecrets {
            app_secret: APP_SECRET.to_owned(),
            verify_token: VERIFY_TOKEN.to_owned(),
        });
        app = app.with_token_vault(
            Arc::new(SecretsManagerVault::new(aws_sdk_secretsmanager::Client::new(&aws), &resources.table_name)),
            None,
        );
        app.media = local.media_store(&resources.media_bucket);
        app.reader = Arc::new(test_reader(ReaderLimits::default()));
        Self { aws, resources, app, clock, store, meta }
    }

    /// Sends (and read receipts) go to the Graph API at `base_url` (a wiremock server); number
    /// look-ups stay with `meta`.
    pub fn send_through(&mut self, base_url: &str) {
        self.app.whatsapp =
            Arc::new(TestWhatsApp { lookups: graph_client(&self.meta.uri()), sends: graph_client(base_url) });
    }

    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.aws)
    }

    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::new(&self.aws)
    }

    /// The workspace of a key.
    pub async fn app_workspace(&self, key: &str) -> colloquy_domain::model::WorkspaceId {
        let found = colloquy_domain::ports::ApiKeyStore::find_key_by_hash(
            self.store.as_ref(),
            &colloquy_domain::api_keys::model::hash_key(key),
        )
        .await;
        found.expect("read").expect("a known key").workspace_id
    }

    /// A new workspace and its first admin key.
    pub async fn workspace(&self, name: &str) -> IssuedKey {
        let (_, issued) = create_workspace(self.store.as_ref(), name, time::OffsetDateTime::now_utc())
            .await
            .expect("workspace is created");
        issued
    }
}

impl TestStack {
    /// Another key, with `role`, of the workspace of the admin key `admin_plaintext`.
    pub async fn key_for(&self, admin_plaintext: &str, role: colloquy_domain::model::Role) -> String {
        let hash = colloquy_domain::api_keys::model::hash_key(admin_plaintext);
        let admin = colloquy_domain::ports::ApiKeyStore::find_key_by_hash(self.store.as_ref(), &hash)
            .await
            .expect("read")
            .expect("known key");
        let principal = colloquy_domain::model::Principal {
            workspace_id: admin.workspace_id,
            role: admin.role,
            key_prefix: admin.prefix,
        };
        let input = colloquy_domain::api_keys::NewKey { name: format!("{role} key"), role };
        colloquy_domain::api_keys::create_key(&*self.app.store, &*self.app.clock, &principal, input)
            .await
            .expect("key is created")
            .plaintext
    }

    /// Another key of the admin's workspace, with `role`.
    pub async fn key(&self, admin: &IssuedKey, role: colloquy_domain::model::Role) -> String {
        let principal = colloquy_domain::model::Principal {
            workspace_id: admin.key.workspace_id.clone(),
            role: colloquy_domain::model::Role::Admin,
            key_prefix: admin.key.prefix.clone(),
        };
        let input = colloquy_domain::api_keys::NewKey { name: format!("{role} key"), role };
        colloquy_domain::api_keys::create_key(&*self.app.store, &*self.app.clock, &principal, input)
            .await
            .expect("key is created")
            .plaintext
    }
}

/// Tests call wiremock's stand-ins over plain HTTP on loopback, on the ports it binds to.
pub fn loopback() -> OutboundRules {
    OutboundRules { loopback_http_ports: colloquy_tools::ephemeral_ports(), ..OutboundRules::default() }
}

/// The access token tests register numbers with (the one `TestStack::meta` accepts).
pub const TEST_TOKEN: &str = "test-token";

/// The numbers the tests' Meta knows, by phone number id, and their display numbers.
const META_NUMBERS: [(&str, &str); 4] = [
    ("106540352242922", "+1 555-078-3881"),
    ("1065403522", "+1 555-078-3881"),
    ("777000777", "+1 777-000-7777"),
    ("123", "+1 555-078-3881"),
];

/// Answers `GET /{version}/{phone-number-id}` as Meta does: the number to a token of its
/// account (`TEST_TOKEN`), error 190 to another token, error 100 for an id it does not know.
struct MetaNumbers;

impl Respond for MetaNumbers {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let authorized =
            request.headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {TEST_TOKEN}"));
        if !authorized {
            let error = serde_json::json!({"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}});
            return ResponseTemplate::new(401).set_body_json(error);
        }
        let id = request.url.path().rsplit('/').next().unwrap_or_default();
        match META_NUMBERS.iter().find(|(known, _)| *known == id) {
            Some((_, display)) => {
                ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": id, "display_phone_number": display}))
            }
            None => {
                let error = serde_json::json!({"error": {"message": "Unsupported get request.", "type": "GraphMethodException", "code": 100}});
                ResponseTemplate::new(400).set_body_json(error)
            }
        }
    }
}

/// The Graph API as the tests use it: look-ups and sends may go to different servers.
struct TestWhatsApp {
    lookups: Arc<dyn WhatsApp>,
    sends: Arc<dyn WhatsApp>,
}

#[async_trait::async_trait]
impl WhatsApp for TestWhatsApp {
    async fn send(&self, from: &Sender, message: &Outbound) -> Result<String, GraphError> {
        self.sends.send(from, message).await
    }
    async fn mark_read(&self, from: &Sender, wamid: &str) -> Result<(), GraphError> {
        self.sends.mark_read(from, wamid).await
    }
    async fn number_info(&self, phone_number_id: &str, token: &Secret) -> Result<NumberInfo, GraphError> {
        self.lookups.number_info(phone_number_id, token).await
    }
    async fn templates(
        &self,
        from: &Sender,
        waba_id: &str,
    ) -> Result<Vec<colloquy_domain::ports::TemplateSummary>, GraphError> {
        self.lookups.templates(from, waba_id).await
    }
    async fn media_info(&self, from: &Sender, media_id: &str) -> Result<MediaInfo, GraphError> {
        self.sends.media_info(from, media_id).await
    }
    async fn download_media(&self, from: &Sender, url: &str, max_bytes: u64) -> Result<Vec<u8>, DownloadError> {
        self.sends.download_media(from, url, max_bytes).await
    }
}

pub const APP_SECRET: &str = "test-app-secret";
pub const VERIFY_TOKEN: &str = "test-verify-token";

/// Where the Graph API is for tests that do not set a wiremock: nothing listens there.
pub const UNREACHABLE_GRAPH: &str = "http://127.0.0.1:9";

/// A real Graph client pointed at `base_url` (a wiremock server), with a short time-out.
pub fn graph_client(base_url: &str) -> Arc<dyn colloquy_domain::ports::WhatsApp> {
    let config = colloquy_adapters::graph::GraphConfig {
        base_url: base_url.to_owned(),
        version: "v23.0".to_owned(),
        timeout: Duration::from_millis(800),
    };
    Arc::new(colloquy_adapters::graph::GraphClient::new(config).expect("graph client"))
}

fn uuid_like() -> String {
    colloquy_domain::model::ids::random_hex(8)
}

/// An API Gateway HTTP API (v2) event from `events/<function>.json`, to adjust and send.
pub struct ApiCall {
    event: Value,
}

impl ApiCall {
    pub fn fixture(function: &str) -> Self {
        let path = project_root().join("events").join(format!("{function}.json"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        Self { event: serde_json::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display())) }
    }

    fn headers(&mut self) -> &mut serde_json::Map<String, Value> {
        self.event["headers"].as_object_mut().expect("fixture has headers")
    }

    pub fn key(mut self, key: &str) -> Self {
        self.headers().insert("x-api-key".into(), Value::from(key));
        self
    }

    pub fn bearer(mut self, key: &str) -> Self {
        self.headers().remove("x-api-key");
        self.headers().insert("authorization".into(), Value::from(format!("Bearer {key}")));
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers().insert(name.to_ascii_lowercase(), Value::from(value));
        self
    }

    pub fn without_key(mut self) -> Self {
        self.headers().remove("x-api-key");
        self
    }

    pub fn body(mut self, body: impl Into<String>) -> Self {
        self.event["body"] = Value::from(body.into());
        self
    }

    pub fn json(self, body: Value) -> Self {
        self.body(body.to_string())
    }

    pub fn path_param(mut self, name: &str, value: &str) -> Self {
        self.event["pathParameters"][name] = Value::from(value);
        self
    }

    /// The request's path (a fixture's own is a sample).
    pub fn raw_path(mut self, path: &str) -> Self {
        self.event["rawPath"] = Value::from(path);
        self.event["requestContext"]["http"]["path"] = Value::from(path);
        self
    }

    pub fn query(mut self, name: &str, value: &str) -> Self {
        if !self.event["queryStringParameters"].is_object() {
            self.event["queryStringParameters"] = serde_json::json!({});
        }
        self.event["queryStringParameters"][name] = Value::from(value);
        // Lambda reads a v2 event's query from rawQueryString.
        let mut raw = form_urlencoded::Serializer::new(String::new());
        for (name, value) in self.event["queryStringParameters"].as_object().into_iter().flatten() {
            raw.append_pair(name, value.as_str().unwrap_or_default());
        }
        self.event["rawQueryString"] = Value::from(raw.finish());
        self
    }

    /// The fixture's own JSON body.
    pub fn body_json(&self) -> Value {
        self.event["body"].as_str().and_then(|body| serde_json::from_str(body).ok()).unwrap_or(Value::Null)
    }

    pub fn request(&self) -> Request {
        lambda_http::request::from_str(&self.event.to_string()).expect("fixture is an API Gateway v2 event")
    }
}

/// A Meta payload from `events/whatsapp/<name>.json`, as text.
pub fn meta_payload(name: &str) -> String {
    let path = project_root().join("events").join("whatsapp").join(format!("{name}.json"));
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// A webhook delivery of `body`, signed as Meta signs it.
pub fn signed_delivery(body: &str) -> ApiCall {
    let signature = colloquy_api::meta_webhook::sign(APP_SECRET, body.as_bytes());
    ApiCall::fixture("whatsapp-webhook").body(body).header("x-hub-signature-256", &signature)
}

/// A handler's response, read as a caller would.
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub content_type: Option<String>,
    /// `Retry-After`, when the answer has one.
    pub retry_after: Option<String>,
}

impl Answer {
    pub fn from_response(response: Response<Body>) -> Self {
        let status = response.status().as_u16();
        let content_type =
            response.headers().get("content-type").and_then(|value| value.to_str().ok()).map(str::to_owned);
        let bytes: &[u8] = response.body().as_ref();
        let body = if bytes.is_empty() {
            Value::Null
        } else if content_type.as_deref() == Some("text/plain") {
            Value::String(String::from_utf8_lossy(bytes).into_owned())
        } else {
            serde_json::from_slice(bytes)
                .unwrap_or_else(|_| panic!("body is not JSON: {}", String::from_utf8_lossy(bytes)))
        };
        let retry_after = response.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
        Self { status, body, content_type, retry_after }
    }

    /// The house error shape: `{"error": {"code", "message"}}`, with a message.
    pub fn error_code(&self) -> &str {
        assert_eq!(self.content_type.as_deref(), Some("application/json"), "errors are JSON");
        let message = self.body["error"]["message"].as_str().unwrap_or_default();
        assert!(!message.is_empty(), "error has a message: {}", self.body);
        self.body["error"]["code"].as_str().unwrap_or_default()
    }

    pub fn error_field(&self) -> Option<&str> {
        self.body["error"]["field"].as_str()
    }
}

/// Sends the call to `function` the way its Lambda would get it: through the route table's
/// wrapper, with only the clients the function's route row says it builds.
pub async fn call(function: &str, app: &App, call: ApiCall) -> Answer {
    let request = call.request();
    let method = request.method().as_str().to_owned();
    let route = routes::of_function(function)
        .and_then(|function| function.rows.iter().find(|route| route.method == method))
        .unwrap_or_else(|| panic!("no route of `{function}` answers {method}"));
    let answer = Answer::from_response(routes::dispatch(route, &app.restricted_to(route.needs), &request).await);
    if let Err(mismatch) = openapi::check(route.method, route.path, answer.status, &answer.body) {
        panic!("{function}: {mismatch}");
    }
    answer
}
