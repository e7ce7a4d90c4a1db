//! The guard's pure parts: the cookie, where a form may send the browser, and whose form it is.

use super::*;

fn request(headers: &[(&str, &str)]) -> Request {
    let mut builder = http::Request::builder().method("POST").uri("https://console.example.com/console/sign-out");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Body::Empty).unwrap_or_default()
}

#[test]
fn only_the_session_cookie_is_read_whatever_sits_beside_it() {
    let cookie = |value: &str| request(&[("cookie", value)]);
    assert_eq!(cookie_secret(&cookie("colloquy_session=abc")), Some("abc"));
    assert_eq!(cookie_secret(&cookie("theme=dark; colloquy_session=abc; x=1")), Some("abc"));
    assert_eq!(cookie_secret(&cookie("colloquy_sessionx=abc")), None, "a cookie whose name only starts alike");
    assert_eq!(cookie_secret(&cookie("xcolloquy_session=abc")), None);
    assert_eq!(cookie_secret(&cookie("colloquy_session=")), None, "an empty secret is none");
    assert_eq!(cookie_secret(&request(&[])), None);
    let two_headers = request(&[("cookie", "a=1"), ("cookie", "colloquy_session=def")]);
    assert_eq!(cookie_secret(&two_headers), Some("def"));
}

#[test]
fn the_cookie_is_http_only_secure_strict_and_scoped_to_the_console() {
    assert_eq!(
        session_cookie("s3cret"),
        "colloquy_session=s3cret; Path=/console; Max-Age=43200; HttpOnly; Secure; SameSite=Strict"
    );
    assert_eq!(cleared_cookie(), "colloquy_session=; Path=/console; Max-Age=0; HttpOnly; Secure; SameSite=Strict");
}

#[test]
fn a_form_sends_the_browser_back_only_to_a_console_page() {
    let fallback = "/console/approvals";
    assert_eq!(local_target(Some("/console/conversations/c1"), fallback), "/console/conversations/c1");
    for foreign in
        ["https://evil.example/", "//evil.example/console/", "/console//evil.example", "/console/\\evil", "/api/v1/"]
    {
        assert_eq!(local_target(Some(foreign), fallback), fallback, "{foreign}");
    }
    assert_eq!(local_target(None, fallback), fallback);
}

#[test]
fn a_form_from_another_site_or_origin_is_refused() {
    let allowed = |headers: &[(&str, &str)]| same_origin(&request(headers)).is_ok();
    assert!(allowed(&[("host", "console.example.com")]), "no Origin: a same-site navigation of old browsers");
    assert!(allowed(&[("host", "console.example.com"), ("origin", "https://console.example.com")]));
    assert!(allowed(&[("host", "console.example.com"), ("sec-fetch-site", "same-origin")]));
    assert!(!allowed(&[("host", "console.example.com"), ("origin", "https://evil.example")]));
    assert!(!allowed(&[("host", "console.example.com"), ("origin", "https://console.example.com.evil.example")]));
    assert!(
        !allowed(&[("host", "127.0.0.1:3000"), ("origin", "http://127.0.0.1:8080")]),
        "another port is another origin"
    );
    assert!(!allowed(&[("origin", "https://console.example.com")]), "an Origin without a Host to compare");
    assert!(!allowed(&[("host", "console.example.com"), ("sec-fetch-site", "cross-site")]));
    assert!(!allowed(&[("host", "console.example.com"), ("origin", "null")]), "an opaque origin");
}

#[test]
fn a_form_reads_its_fields_and_refuses_a_body_no_console_form_sends() {
    let form = |body: &str| {
        let request = http::Request::builder().method("POST").body(Body::from(body.to_owned())).unwrap_or_default();
        Form::of(&request)
    };
    let parsed = form("csrf=abc&text=Hello+there%21&text=second").ok().expect_parsed();
    assert_eq!((parsed.get("csrf"), parsed.get("text"), parsed.get("none")), (Some("abc"), Some("Hello there!"), None));
    assert!(matches!(form(&"a".repeat(64 * 1024 + 1)), Err(ApiError::PayloadTooLarge { .. })));
    assert!(form(&"a".repeat(64 * 1024)).is_ok(), "exactly the limit");
}

trait ExpectParsed {
    fn expect_parsed(self) -> Form;
}

impl ExpectParsed for Option<Form> {
    fn expect_parsed(self) -> Form {
        match self {
            Some(form) => form,
            None => panic!("the form did not parse"),
        }
    }
}

#[test]
fn every_page_carries_the_headers_that_keep_it_in_its_frame() {
    let page = html(StatusCode::OK, maud::html! { p { "hi" } });
    let header = |name: &str| page.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert_eq!(header("content-security-policy"), CONTENT_SECURITY_POLICY);
    assert!(CONTENT_SECURITY_POLICY.starts_with("default-src 'none'; script-src 'self';"));
    assert!(!CONTENT_SECURITY_POLICY.contains("unsafe"));
    assert_eq!(header("x-frame-options"), "DENY");
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(header("referrer-policy"), "same-origin");
    assert_eq!(header("cache-control"), "no-store");
    assert_eq!(header("content-type"), "text/html; charset=utf-8");
    let moved = see_other("/console/");
    assert_eq!(
        (moved.status(), moved.headers().get("location").and_then(|v| v.to_str().ok())),
        (StatusCode::SEE_OTHER, Some("/console/"))
    );
    assert_eq!(moved.headers().get("x-frame-options").and_then(|v| v.to_str().ok()), Some("DENY"));
}
