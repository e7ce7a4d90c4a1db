//! The console in a real browser: headless Chromium (Debian's `chromium`, driven through
//! `chromedriver` with WebDriver) against the console served over HTTP on loopback, on moto.
//! Missing Chromium fails the test: the test command installs it.

use std::net::TcpListener as StdListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use colloquy_tests::{project_root, TestStack};

/// Where screenshots go: the README's (`docs/console/`) when `COLLOQUY_UPDATE_SCREENSHOTS=1`,
/// else under `target/`.
fn screenshot_dir() -> PathBuf {
    if std::env::var("COLLOQUY_UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1") {
        project_root().join("docs/console")
    } else {
        project_root().join("target/console-screenshots")
    }
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// The console of `stack`, served on loopback as `colloquy-local` serves it.
pub async fn serve(stack: &TestStack) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let app = stack.app.clone();
    tokio::spawn(async move { colloquy_tools::server::serve(listener, app).await });
    format!("http://127.0.0.1:{port}")
}

/// Chromium through chromedriver; both end with the test.
pub struct Browser {
    pub client: Client,
    driver: Child,
    profile: PathBuf,
}

impl Browser {
    pub async fn start() -> Self {
        let chromedriver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        assert!(
            std::path::Path::new(&chromedriver).exists() && std::path::Path::new(&chromium).exists(),
            "{chromedriver} and {chromium} are needed: `apt-get install chromium chromium-driver` (scripts/test does)"
        );
        let port = free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = std::env::temp_dir().join(format!("colloquy-chromium-{port}"));
        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
            "goog:loggingPrefs": {"browser": "ALL"},
        });
        let Value::Object(capabilities) = capabilities else { unreachable!("an object") };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let started = Instant::now();
        let client = loop {
            match ClientBuilder::new(connector.clone())
                .capabilities(capabilities.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => break client,
                Err(err) if started.elapsed() < Duration::from_secs(20) => {
                    let _ = err;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(err) => panic!("chromedriver did not take a session: {err}"),
            }
        };
        Self { client, driver, profile }
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|err| panic!("{url}: {err}"));
    }

    pub async fn html(&self) -> String {
        self.client.source().await.expect("page source")
    }

    /// Waits (up to `within`) for an element matching `css`, and returns whether it came.
    pub async fn appears(&self, css: &str, within: Duration) -> bool {
        let started = Instant::now();
        while started.elapsed() < within {
            if self.client.find(Locator::Css(css)).await.is_ok() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    /// Waits for the element first: under load, a page may still be loading when a step starts.
    pub async fn click(&self, css: &str) {
        self.appears(css, Duration::from_secs(5)).await;
        let element = self.client.find(Locator::Css(css)).await.unwrap_or_else(|err| panic!("{css}: {err}"));
        element.click().await.unwrap_or_else(|err| panic!("click {css}: {err}"));
    }

    /// Clicks a form's submit button and waits (up to 5 s) until the browser has left the page:
    /// the old document's root goes stale. Waiting for an element instead would find it on the
    /// old page when the new one has it too, and a `goto` issued then races the submission.
    pub async fn submit(&self, css: &str) {
        let old_page = self.client.find(Locator::Css("html")).await.expect("a page");
        self.click(css).await;
        let started = Instant::now();
        while old_page.tag_name().await.is_ok() {
            assert!(started.elapsed() < Duration::from_secs(5), "submitting {css} did not leave the page");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        self.appears(css, Duration::from_secs(5)).await;
        let element = self.client.find(Locator::Css(css)).await.unwrap_or_else(|err| panic!("{css}: {err}"));
        element.send_keys(text).await.unwrap_or_else(|err| panic!("type into {css}: {err}"));
    }

    pub async fn sign_in(&self, base: &str, key: &str) {
        self.goto(&format!("{base}/console/sign-in")).await;
        self.type_into("[data-testid=key]", key).await;
        // The sign-in page has an `h1` too: wait until the browser has left it.
        self.submit("[data-testid=sign-in]").await;
        assert!(self.appears("h1", Duration::from_secs(5)).await);
        let url = self.client.current_url().await.expect("url");
        assert_eq!(url.path(), "/console/", "signed in: {}", self.html().await);
    }

    /// Runs `script` (a function body) in the page and returns its result.
    pub async fn run(&self, script: &str) -> Value {
        self.client.execute_async(script, vec![]).await.unwrap_or_else(|err| panic!("script: {err}"))
    }

    /// The browser's console messages at error level: a page must have none.
    pub async fn console_errors(&self) -> Vec<String> {
        let logs = self.client.issue_cmd(GetLog).await;
        let Ok(Value::Array(entries)) = logs else { return vec!["the browser's log could not be read".into()] };
        entries
            .into_iter()
            .filter(|entry| entry["level"] == "SEVERE")
            .map(|entry| entry["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot folder");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("screenshot written");
    }

    pub async fn close(self) {
        let Self { client, mut driver, profile } = self;
        let _ = client.close().await;
        let _ = driver.kill();
        let _ = driver.wait();
        let _ = std::fs::remove_dir_all(profile);
    }
}

/// Chromium's log (`GET /session/{id}/se/log`, as chromedriver answers it).
#[derive(Debug)]
struct GetLog;

impl fantoccini::wd::WebDriverCompatibleCommand for GetLog {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({"type": "browser"}).to_string()))
    }
}
