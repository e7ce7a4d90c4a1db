//! Knowledge bases: documents added as text or URLs are indexed off the request path by the
//! worker, into snapshots that searches read; replaced, deleted and failed documents; another
//! workspace's knowledge bases are 404.

use std::sync::Arc;
use std::time::Duration;

use colloquy_adapters::llm::{EmbeddingsClient, Endpoint};
use colloquy_domain::model::Role;
use colloquy_functions::worker::Worker;
use colloquy_tests::{call, Answer, ApiCall, TestStack};
use colloquy_tools::event_source::LocalEventSource;
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub struct Shelf {
    pub stack: TestStack,
    pub key: String,
    worker: Worker,
    source: LocalEventSource,
}

pub const HOUSE_RULES: &str = "# House rules\n\nQuiet hours run from 22:00 to 07:00.\n\n## Pets\n\nCats and small dogs are welcome; reptiles are not.\n\n## Bins\n\nRecycling goes out on Tuesday mornings.";

impl Shelf {
    pub async fn new() -> Self {
        Self::on(TestStack::new().await).await
    }

    /// With embeddings from `embeddings` (an OpenAI-compatible `/v1/embeddings`).
    pub async fn embedding_with(embeddings: &MockServer) -> Self {
        let mut stack = TestStack::new().await;
        let endpoint = Endpoint { base_url: format!("{}/v1", embeddings.uri()), api_key: "sk-test".into() };
        let client = EmbeddingsClient::new(endpoint, "text-embedding-3-small".into(), Some(4), Duration::from_secs(5))
            .expect("embeddings client");
        stack.app.embedder = Some(Arc::new(client));
        Self::on(stack).await
    }

    async fn on(stack: TestStack) -> Self {
        let key = stack.workspace("Maple Court").await.plaintext;
        let source = LocalEventSource::new(stack.sqs(), &stack.resources.queue_url, 0).await.expect("event source");
        let worker = Worker::new(stack.app.clone());
        Self { stack, key, worker, source }
    }

    /// Runs the worker until the queue is empty: every queued rebuild lands.
    pub async fn rebuild(&self) {
        self.source.drain(&self.worker, 20).await.expect("the worker runs");
    }

    pub async fn send(&self, function: &str, request: ApiCall) -> Answer {
        call(function, &self.stack.app, request).await
    }

    pub async fn create_base(&self, name: &str) -> String {
        let request = ApiCall::fixture("create-knowledge-base").key(&self.key).json(json!({ "name": name }));
        let created = self.send("create-knowledge-base", request).await;
        assert_eq!(created.status, 201, "{}", created.body);
        created.body["id"].as_str().unwrap_or_default().to_owned()
    }

    pub async fn add(&self, base: &str, body: Value) -> Answer {
        let request = ApiCall::fixture("add-knowledge-document").key(&self.key).path_param("id", base).json(body);
        self.send("add-knowledge-document", request).await
    }

    pub async fn replace(&self, base: &str, document: &str, body: Value) -> Answer {
        let request = ApiCall::fixture("replace-knowledge-document")
            .key(&self.key)
            .path_param("id", base)
            .path_param("documentId", document)
            .json(body);
        self.send("replace-knowledge-document", request).await
    }

    /// `function` (`get-knowledge-document`, `delete-knowledge-document`…) on one document.
    pub async fn on_document(&self, function: &str, base: &str, document: &str) -> Answer {
        let request =
            ApiCall::fixture(function).key(&self.key).path_param("id", base).path_param("documentId", document);
        self.send(function, request).await
    }

    pub async fn document(&self, base: &str, document: &str) -> Value {
        let request = ApiCall::fixture("get-knowledge-document")
            .key(&self.key)
            .path_param("id", base)
            .path_param("documentId", document);
        let found = self.send("get-knowledge-document", request).await;
        assert_eq!(found.status, 200, "{}", found.body);
        found.body
    }

    pub async fn search_as(&self, key: &str, base: &str, query: &str) -> Answer {
        let request = ApiCall::fixture("search-knowledge-base")
            .key(key)
            .path_param("id", base)
            .json(json!({ "query": query, "limit": 5 }));
        self.send("search-knowledge-base", request).await
    }

    /// The texts found for `query`, best first.
    pub async fn search(&self, base: &str, query: &str) -> Vec<String> {
        let found = self.search_as(&self.key, base, query).await;
        assert_eq!(found.status, 200, "{}", found.body);
        texts(&found.body)
    }
}

fn texts(body: &Value) -> Vec<String> {
    body["results"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|hit| hit["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn id(answer: &Answer) -> String {
    answer.body["id"].as_str().unwrap_or_default().to_owned()
}

/// A web server for URL documents.
async fn serving(route: &str, response: ResponseTemplate) -> (MockServer, String) {
    let server = MockServer::start().await;
    Mock::given(method("GET")).and(path(route)).respond_with(response).mount(&server).await;
    let url = format!("{}{route}", server.uri());
    (server, url)
}

#[tokio::test]
async fn markdown_pdf_and_html_documents_are_indexed_and_found_with_their_heading_and_page() {
    let shelf = Shelf::new().await;
    let base = shelf.create_base("Maple Court").await;
    let lease = std::fs::read(colloquy_tests::project_root().join("events/whatsapp/media/lease.pdf")).expect("PDF");
    let (_server, url) =
        serving("/docs/lease.pdf", ResponseTemplate::new(200).set_body_raw(lease, "application/pdf")).await;

    let page = "<!DOCTYPE html><html><body><script>var x = 'parking';</script><h1>Amenities</h1>\
        <h2>Gym</h2><p>The gym in the basement opens at <b>six</b> every morning.</p></body></html>";
    let (_site, html_url) = serving("/amenities", ResponseTemplate::new(200).set_body_raw(page, "text/html")).await;
    let rules = shelf.add(&base, json!({"name": "House rules.md", "text": HOUSE_RULES})).await;
    let pdf = shelf.add(&base, json!({"name": "Lease", "url": url})).await;
    let html = shelf.add(&base, json!({"name": "Amenities", "url": html_url})).await;
    assert_eq!(html.status, 201, "{}", html.body);
    assert_eq!((rules.status, pdf.status), (201, 201), "{} {}", rules.body, pdf.body);
    assert_eq!((rules.body["status"].as_str(), pdf.body["status"].as_str()), (Some("pending"), Some("pending")));
    let before = shelf.search_as(&shelf.key, &base, "dogs").await;
    assert_eq!((before.body["results"].as_array().map(Vec::len), &before.body["snapshot"]), (Some(0), &Value::Null));

    shelf.rebuild().await;

    let pets = shelf.search_as(&shelf.key, &base, "Can I keep a dog?").await;
    let best = &pets.body["results"][0];
    assert_eq!(best["heading"], "House rules › Pets", "{}", pets.body);
    assert_eq!(
        (best["documentName"].as_str(), best["documentId"].as_str()),
        (Some("House rules.md"), Some(id(&rules).as_str()))
    );
    assert!(best["text"].as_str().is_some_and(|t| t.contains("small dogs")));
    let deposit = shelf.search_as(&shelf.key, &base, "How much is the deposit?").await;
    assert_eq!(
        (&deposit.body["results"][0]["documentName"], &deposit.body["results"][0]["page"]),
        (&json!("Lease"), &json!(1))
    );
    let pdf_now = shelf.document(&base, &id(&pdf)).await;
    assert_eq!((pdf_now["status"].as_str(), pdf_now["format"].as_str()), (Some("indexed"), Some("pdf")), "{pdf_now}");
    assert!(pdf_now["chunkCount"].as_u64().is_some_and(|n| n >= 1) && pdf_now["sizeBytes"].as_u64() > Some(500));
    let gym = shelf.search_as(&shelf.key, &base, "When does the gym open?").await;
    assert_eq!(
        (&gym.body["results"][0]["heading"], &gym.body["results"][0]["documentName"]),
        (&json!("Amenities › Gym"), &json!("Amenities")),
        "{}",
        gym.body
    );
    assert!(shelf.search(&base, "var").await.is_empty(), "a page's scripts are not indexed");
    assert_eq!(shelf.document(&base, &id(&html)).await["format"], "html");
    let snapshot = &deposit.body["snapshot"];
    assert_eq!((snapshot["documents"].as_u64(), snapshot["chunks"].as_u64().is_some_and(|n| n >= 5)), (Some(3), true));
}

#[tokio::test]
async fn a_replaced_document_is_found_by_its_new_text_only_and_a_deleted_one_not_at_all() {
    let shelf = Shelf::new().await;
    let base = shelf.create_base("Maple Court").await;
    let rules = id(&shelf.add(&base, json!({"name": "House rules.md", "text": HOUSE_RULES})).await);
    let parking = id(&shelf
        .add(&base, json!({"name": "Parking", "text": "Each flat has one parking space in the garage."}))
        .await);
    shelf.rebuild().await;
    assert_eq!(shelf.search(&base, "garage").await.len(), 1);

    let replaced = shelf
        .replace(&base, &rules, json!({"name": "House rules.md", "text": "Quiet hours now run from 23:00."}))
        .await;
    // Until its rebuild lands, searches answer from the snapshot they have.
    let meanwhile = shelf.search(&base, "reptiles").await;
    shelf.rebuild().await;
    let old_words = shelf.search(&base, "reptiles").await;
    let new_words = shelf.search(&base, "quiet hours").await;
    let deleted = shelf.on_document("delete-knowledge-document", &base, &parking).await;
    shelf.rebuild().await;

    assert_eq!((replaced.status, replaced.body["status"].as_str()), (200, Some("pending")), "{}", replaced.body);
    assert_eq!(meanwhile.len(), 1, "the previous snapshot still answers");
    assert!(old_words.is_empty(), "{old_words:?}");
    assert_eq!(new_words, vec!["Quiet hours now run from 23:00.".to_owned()]);
    assert_eq!(deleted.status, 204);
    assert!(shelf.search(&base, "garage").await.is_empty(), "the deleted document is gone from results");
    let gone = shelf.on_document("get-knowledge-document", &base, &parking).await;
    assert_eq!((gone.status, gone.error_code()), (404, "not_found"));
}

#[tokio::test]
async fn two_documents_added_at_once_both_land() {
    let shelf = Shelf::new().await;
    let base = shelf.create_base("Maple Court").await;

    let (first, second) = tokio::join!(
        shelf.add(&base, json!({"name": "Gym", "text": "The gym opens at six."})),
        shelf.add(&base, json!({"name": "Pool", "text": "The pool closes at nine."}))
    );
    shelf.rebuild().await;

    assert_eq!((first.status, second.status), (201, 201));
    assert_eq!(shelf.search(&base, "gym").await, vec!["The gym opens at six.".to_owned()]);
    assert_eq!(shelf.search(&base, "pool").await, vec!["The pool closes at nine.".to_owned()]);
}

#[tokio::test]
async fn a_document_that_cannot_be_read_fails_with_why_and_the_others_are_indexed() {
    let shelf = Shelf::new().await;
    let base = shelf.create_base("Maple Court").await;
    let (_gone, missing) = serving("/gone.md", ResponseTemplate::new(404)).await;
    let (_binary, binary) = serving(
        "/photo.jpg",
        ResponseTemplate::new(200).set_body_raw(vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 0xC3], "image/jpeg"),
    )
    .await;
    let broken_pdf =
        std::fs::read(colloquy_tests::project_root().join("tests/hostile/files/garbage.pdf")).expect("PDF");
    let (_pdf, bad_pdf) =
        serving("/bad.pdf", ResponseTemplate::new(200).set_body_raw(broken_pdf, "application/pdf")).await;

    let nested = format!("<!doctype html><html><body>{}deep</body></html>", "<div>".repeat(200_000));
    let (_bomb, bomb) = serving("/bomb.html", ResponseTemplate::new(200).set_body_raw(nested, "text/html")).await;
    let missing = id(&shelf.add(&base, json!({"name": "Gone", "url": missing})).await);
    let bomb = id(&shelf.add(&base, json!({"name": "Nested", "url": bomb})).await);
    let binary = id(&shelf.add(&base, json!({"name": "Photo", "url": binary})).await);
    let bad_pdf = id(&shelf.add(&base, json!({"name": "Bad PDF", "url": bad_pdf})).await);
    shelf.add(&base, json!({"name": "House rules.md", "text": HOUSE_RULES})).await;
    shelf.rebuild().await;

    for (document, why) in
        [(missing, "404"), (binary, "not a PDF"), (bad_pdf, "PDF could not be read"), (bomb, "HTML could not be read")]
    {
        let found = shelf.document(&base, &document).await;
        assert_eq!(found["status"], "failed", "{found}");
        assert!(found["failureReason"].as_str().is_some_and(|r| r.contains(why)), "{found}");
    }
    assert_eq!(shelf.search(&base, "reptiles").await.len(), 1, "the readable document is indexed");
}

#[tokio::test]
async fn another_workspaces_knowledge_base_is_404_and_a_read_key_changes_nothing() {
    let shelf = Shelf::new().await;
    let base = shelf.create_base("Maple Court").await;
    shelf.add(&base, json!({"name": "House rules.md", "text": HOUSE_RULES})).await;
    shelf.rebuild().await;
    let stranger = shelf.stack.workspace("Globex").await.plaintext;
    let reader = shelf.stack.key_for(&shelf.key, Role::Read).await;

    let theirs = shelf.search_as(&stranger, &base, "dogs").await;
    let their_add = shelf
        .send(
            "add-knowledge-document",
            ApiCall::fixture("add-knowledge-document").key(&stranger).path_param("id", &base),
        )
        .await;
    let their_get = shelf
        .send("get-knowledge-base", ApiCall::fixture("get-knowledge-base").key(&stranger).path_param("id", &base))
        .await;
    let listed = shelf.send("list-knowledge-bases", ApiCall::fixture("list-knowledge-bases").key(&stranger)).await;
    let read_add = shelf
        .send("add-knowledge-document", ApiCall::fixture("add-knowledge-document").key(&reader).path_param("id", &base))
        .await;
    let read_delete = shelf
        .send("delete-knowledge-base", ApiCall::fixture("delete-knowledge-base").key(&reader).path_param("id", &base))
        .await;
    let read_search = shelf.search_as(&reader, &base, "dogs").await;

    assert_eq!((theirs.status, their_add.status, their_get.status), (404, 404, 404));
    assert_eq!(listed.body["count"], 0);
    assert_eq!((read_add.status, read_delete.status), (403, 403));
    assert_eq!(read_search.status, 200, "a read key may search");
    assert_eq!(texts(&read_search.body).len(), 1);
}

#[tokio::test]
async fn bad_documents_are_refused_naming_the_field() {
    let shelf = Shelf::new().await;
    let base = shelf.create_base("Maple Court").await;

    let private =
        shelf.add(&base, json!({"name": "Metadata", "url": "https://169.254.169.254/latest/meta-data/"})).await;
    let internal = shelf.add(&base, json!({"name": "Intranet", "url": "https://10.0.0.5/wiki"})).await;
    let plain_http = shelf.add(&base, json!({"name": "Old site", "url": "http://example.com/rules"})).await;
    let both = shelf.add(&base, json!({"name": "Both", "text": "x", "url": "https://example.com/"})).await;
    let neither = shelf.add(&base, json!({"name": "Neither"})).await;
    let blank = shelf.add(&base, json!({"name": "Blank", "text": "  \n "})).await;
    let unnamed = shelf.add(&base, json!({"name": "", "text": "Quiet hours."})).await;
    let huge = shelf.add(&base, json!({"name": "Huge", "text": "word ".repeat(2_200_000)})).await;

    for (answer, field) in [
        (&private, "url"),
        (&internal, "url"),
        (&plain_http, "url"),
        (&both, "url"),
        (&neither, "text"),
        (&blank, "text"),
        (&unnamed, "name"),
    ] {
        assert_eq!((answer.status, answer.error_field()), (400, Some(field)), "{}", answer.body);
    }
    assert_eq!((huge.status, huge.error_code()), (413, "payload_too_large"), "{}", huge.body);
    let listed = shelf
        .send(
            "list-knowledge-documents",
            ApiCall::fixture("list-knowledge-documents").key(&shelf.key).path_param("id", &base),
        )
        .await;
    assert_eq!(listed.body["count"], 0, "nothing was stored");
}

#[tokio::test]
async fn a_knowledge_base_is_renamed_and_deleted_with_its_documents() {
    let shelf = Shelf::new().await;
    let base = shelf.create_base("Maple Court").await;
    shelf.add(&base, json!({"name": "House rules.md", "text": HOUSE_RULES})).await;
    shelf.rebuild().await;

    let renamed = shelf
        .send(
            "update-knowledge-base",
            ApiCall::fixture("update-knowledge-base")
                .key(&shelf.key)
                .path_param("id", &base)
                .json(json!({"name": "Maple Court FAQ"})),
        )
        .await;
    let deleted = shelf
        .send(
            "delete-knowledge-base",
            ApiCall::fixture("delete-knowledge-base").key(&shelf.key).path_param("id", &base),
        )
        .await;
    let after = shelf.search_as(&shelf.key, &base, "dogs").await;
    let documents = shelf
        .send(
            "list-knowledge-documents",
            ApiCall::fixture("list-knowledge-documents").key(&shelf.key).path_param("id", &base),
        )
        .await;

    assert_eq!((renamed.status, renamed.body["name"].as_str()), (200, Some("Maple Court FAQ")), "{}", renamed.body);
    assert!(renamed.body["snapshot"]["id"].is_string(), "a rename keeps the snapshot: {}", renamed.body);
    assert_eq!(deleted.status, 204);
    assert_eq!((after.status, documents.status), (404, 404));
}

/// An embeddings stand-in that knows a little of meaning: a text's vector counts its words of
/// each concept (pets, rubbish, noise), so "puppy" is near "dogs" though no word is shared.
struct ConceptEmbeddings;

const CONCEPTS: [&[&str]; 3] = [
    &["pet", "pets", "dog", "dogs", "cat", "cats", "puppy", "kitten", "animal", "reptiles"],
    &["bin", "bins", "recycling", "rubbish", "trash", "garbage"],
    &["quiet", "noise", "loud", "music", "hours"],
];

impl wiremock::Respond for ConceptEmbeddings {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
        let data: Vec<Value> = body["input"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(index, text)| {
                let text = text.as_str().unwrap_or_default().to_lowercase();
                let words: Vec<&str> = text.split(|c: char| !c.is_alphanumeric()).collect();
                let mut vector: Vec<f32> = CONCEPTS
                    .iter()
                    .map(|concept| words.iter().filter(|w| concept.contains(w)).count() as f32)
                    .collect();
                vector.push(0.1);
                json!({"object": "embedding", "index": index, "embedding": vector})
            })
            .collect();
        ResponseTemplate::new(200)
            .set_body_json(json!({"object": "list", "data": data, "model": "text-embedding-3-small"}))
    }
}

#[tokio::test]
async fn with_embeddings_a_search_finds_by_meaning_what_shares_no_word_with_the_query() {
    let embeddings = MockServer::start().await;
    Mock::given(method("POST")).and(path("/v1/embeddings")).respond_with(ConceptEmbeddings).mount(&embeddings).await;
    let shelf = Shelf::embedding_with(&embeddings).await;
    let words_only = Shelf::new().await;
    let base = shelf.create_base("Maple Court").await;
    let plain = words_only.create_base("Maple Court").await;
    shelf.add(&base, json!({"name": "House rules.md", "text": HOUSE_RULES})).await;
    words_only.add(&plain, json!({"name": "House rules.md", "text": HOUSE_RULES})).await;
    shelf.rebuild().await;
    words_only.rebuild().await;

    let hybrid = shelf.search_as(&shelf.key, &base, "Can I bring my puppy?").await;
    let by_words = words_only.search(&plain, "Can I bring my puppy?").await;
    let exact = shelf.search_as(&shelf.key, &base, "recycling").await;

    assert_eq!(hybrid.body["snapshot"]["embedded"], true, "{}", hybrid.body);
    assert_eq!(hybrid.body["results"][0]["heading"], "House rules › Pets", "{}", hybrid.body);
    assert!(by_words.is_empty(), "no word of the query is in the rules: {by_words:?}");
    assert_eq!(exact.body["results"][0]["heading"], "House rules › Bins", "words still count: {}", exact.body);
    let requests = embeddings.received_requests().await.unwrap_or_default();
    let inputs: Vec<Value> = requests.iter().filter_map(|r| serde_json::from_slice::<Value>(&r.body).ok()).collect();
    assert_eq!(inputs[0]["input"].as_array().map(Vec::len), Some(3), "the chunks, in one batch: {:?}", inputs[0]);
    assert_eq!((&inputs[0]["model"], &inputs[0]["dimensions"]), (&json!("text-embedding-3-small"), &json!(4)));
    assert_eq!(inputs[1]["input"], json!(["Can I bring my puppy?"]), "the query");
}

#[tokio::test]
async fn a_file_is_uploaded_through_its_presigned_url_then_indexed() {
    let shelf = Shelf::new().await;
    let base = shelf.create_base("Maple Court").await;
    let lease = std::fs::read(colloquy_tests::project_root().join("events/whatsapp/media/lease.pdf")).expect("PDF");
    let size = lease.len();

    let added = shelf
        .add(&base, json!({"name": "Lease", "upload": {"contentType": "application/pdf", "sizeBytes": size}}))
        .await;
    let document = id(&added);
    let complete = || {
        ApiCall::fixture("complete-knowledge-upload")
            .key(&shelf.key)
            .path_param("id", &base)
            .path_param("documentId", &document)
    };
    let too_soon = shelf.send("complete-knowledge-upload", complete()).await;
    let upload = &added.body["upload"];
    let put = reqwest::Client::new()
        .put(upload["url"].as_str().unwrap_or_default())
        .header("content-type", upload["headers"]["Content-Type"].as_str().unwrap_or_default())
        .body(lease)
        .send()
        .await
        .expect("PUT");
    let completed = shelf.send("complete-knowledge-upload", complete()).await;
    let again = shelf.send("complete-knowledge-upload", complete()).await;
    shelf.rebuild().await;

    assert_eq!((added.status, added.body["status"].as_str()), (201, Some("awaiting_upload")), "{}", added.body);
    assert_eq!(
        (upload["method"].as_str(), upload["headers"]["Content-Length"].as_str()),
        (Some("PUT"), Some(size.to_string().as_str()))
    );
    assert_eq!((too_soon.status, too_soon.error_code()), (409, "conflict"), "nothing uploaded yet: {}", too_soon.body);
    assert!(put.status().is_success(), "{}", put.status());
    assert_eq!((completed.status, completed.body["status"].as_str()), (200, Some("pending")), "{}", completed.body);
    assert_eq!(again.status, 409, "completed once");
    let found = shelf.search_as(&shelf.key, &base, "deposit").await;
    assert_eq!(
        (&found.body["results"][0]["documentName"], &found.body["results"][0]["page"]),
        (&json!("Lease"), &json!(1)),
        "{}",
        found.body
    );
    assert_eq!(shelf.document(&base, &document).await["format"], "pdf");
}

#[tokio::test]
async fn an_upload_of_a_wrong_type_or_size_is_refused_naming_the_field() {
    let shelf = Shelf::new().await;
    let base = shelf.create_base("Maple Court").await;

    let exe = shelf
        .add(&base, json!({"name": "Tool", "upload": {"contentType": "application/x-msdownload", "sizeBytes": 10}}))
        .await;
    let huge = shelf
        .add(&base, json!({"name": "Big", "upload": {"contentType": "application/pdf", "sizeBytes": 50_000_000}}))
        .await;
    let empty =
        shelf.add(&base, json!({"name": "Empty", "upload": {"contentType": "text/plain", "sizeBytes": 0}})).await;

    assert_eq!((exe.status, exe.error_field()), (400, Some("upload.contentType")), "{}", exe.body);
    assert_eq!((huge.status, huge.error_field()), (400, Some("upload.sizeBytes")), "{}", huge.body);
    assert_eq!((empty.status, empty.error_field()), (400, Some("upload.sizeBytes")), "{}", empty.body);
}
