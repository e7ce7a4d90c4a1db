//! One TLS configuration per process, shared by every outbound HTTPS client (the AWS SDK's, the
//! Graph API's, the LLM's, event delivery's). Roots are bundled (webpki-roots): nothing is read
//! from the file system at start, so a cold start pays for TLS once, in microseconds. Root
//! updates arrive with a dependency update and a redeploy, not with the OS image.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::model::outbound_url::{is_forbidden, OutboundRules};

static TLS: OnceLock<Result<rustls::ClientConfig, String>> = OnceLock::new();

fn build_tls() -> Result<rustls::ClientConfig, String> {
    // The process default too, for any client built without this configuration (a tool's):
    // without one, rustls would refuse to build it.
    let _ = rustls::crypto::ring::default_provider().install_default();
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

/// A plain client on the shared TLS configuration, for tools and tests.
pub fn client(timeout: Duration) -> Result<reqwest::Client, String> {
    client_builder(timeout)?.build().map_err(|err| format!("cannot build an HTTP client: {err}"))
}

/// What every outbound request says it is (Meta's media downloads are refused without one).
pub const USER_AGENT: &str = concat!("Colloquy/", env!("CARGO_PKG_VERSION"));

/// A reqwest client builder on the shared TLS configuration, naming itself `USER_AGENT`, with no proxy discovery and no
/// redirects (a redirect could lead an outbound call somewhere it was not allowed to go).
pub fn client_builder(timeout: Duration) -> Result<reqwest::ClientBuilder, String> {
    Ok(reqwest::Client::builder()
        .tls_backend_preconfigured(tls_config()?)
        .user_agent(USER_AGENT)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(3).min(timeout))
        .timeout(timeout))
}

/// Resolves host names for outbound calls to tenants' URLs and keeps only addresses the outbound
/// rules allow, so that a name which resolved to a public address when it was checked cannot
/// later lead a connection to a private one (DNS rebinding).
struct GuardedResolver {
    rules: OutboundRules,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allows_loopback = self.rules.allows_loopback();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let allowed: Vec<SocketAddr> =
                found.filter(|addr| !is_forbidden(addr.ip()) || (allows_loopback && addr.ip().is_loopback())).collect();
            if allowed.is_empty() {
                return Err(format!("{host} resolves to no address outbound calls may reach").into());
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// A client for tenants' URLs: the shared TLS configuration, and only allowed addresses. Every
/// URL is also checked with `outbound_url::check` before it is called, for IP-literal hosts
/// (which are not resolved).
pub fn guarded_client(timeout: Duration, rules: OutboundRules) -> Result<reqwest::Client, String> {
    client_builder(timeout)?
        .dns_resolver(Arc::new(GuardedResolver { rules }))
        .build()
        .map_err(|err| format!("cannot build the outbound HTTP client: {err}"))
}
