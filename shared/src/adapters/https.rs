//! One TLS configuration per process, shared by every outbound HTTPS client (the AWS SDK's, the
//! Graph API's, the LLM's, event delivery's). Roots are bundled (webpki-roots): nothing is read
//! from the file system at start, so a cold start pays for TLS once, in microseconds. Root
//! updates arrive with a dependency update and a redeploy, not with the OS image.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

static TLS: OnceLock<Result<rustls::ClientConfig, String>> = OnceLock::new();

fn build_tls() -> Result<rustls::ClientConfig, String> {
    let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|err| format!("TLS configuration: {err}"))?;
    Ok(builder.with_root_certificates(roots).with_no_client_auth())
}

/// The process's TLS configuration (built on first use).
pub fn tls_config() -> Result<rustls::ClientConfig, String> {
    TLS.get_or_init(build_tls).clone()
}

/// A reqwest client builder on the shared TLS configuration, with no proxy discovery and no
/// redirects (a redirect could lead an outbound call somewhere it was not allowed to go).
pub fn client_builder(timeout: Duration) -> Result<reqwest::ClientBuilder, String> {
    Ok(reqwest::Client::builder()
        .tls_backend_preconfigured(tls_config()?)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(3).min(timeout))
        .timeout(timeout))
}
