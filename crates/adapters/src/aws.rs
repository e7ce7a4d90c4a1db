//! The AWS SDK configuration from the environment (`AWS_ENDPOINT_URL` points it at a local stack),
//! on the process's shared HTTPS client.

pub use aws_config::SdkConfig;

use crate::aws_http::sdk_http_client;
use crate::config::ConfigError;

pub async fn load() -> Result<SdkConfig, ConfigError> {
    let http = sdk_http_client().map_err(ConfigError::Invalid)?;
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(http);
    // Lambda puts the region and the function role's credentials in the environment. Naming them
    // here spares the SDK building its provider chains (profile files, SSO, IMDS, ECS) at every
    // cold start: about 0.6 ms of a function's init, measured with `colloquy-bench-coldstart`.
    if let Ok(region) = std::env::var("AWS_REGION") {
        loader = loader.region(aws_config::Region::new(region));
    }
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_some() {
        loader = loader.credentials_provider(aws_config::environment::EnvironmentVariableCredentialsProvider::new());
    }
    Ok(loader.load().await)
}

/// An AWS service client built when first used. Building one parses that service's copy of the
/// SDK's partition table and compiles its endpoint regexes — 2–4% of the worker's cold start
/// each, measured with `perf` — so a function builds at start only the clients every request
/// uses (the table, the queue), and a reply that reads no file, calls no Bedrock model and
/// stores no token never builds S3's, Bedrock's or Secrets Manager's.
pub struct OnFirstUse<C>(std::sync::Arc<Lazy<C>>);

struct Lazy<C> {
    client: std::sync::OnceLock<C>,
    build: Box<dyn Fn() -> C + Send + Sync>,
}

impl<C> OnFirstUse<C> {
    pub fn new(build: impl Fn() -> C + Send + Sync + 'static) -> Self {
        Self(std::sync::Arc::new(Lazy { client: std::sync::OnceLock::new(), build: Box::new(build) }))
    }

    /// The client, built now if this is its first use.
    pub fn get(&self) -> &C {
        self.0.client.get_or_init(|| (self.0.build)())
    }

    /// Whether the client has been built.
    pub fn is_built(&self) -> bool {
        self.0.client.get().is_some()
    }
}

/// A client already built (the tests', the local stack's).
impl<C: Clone + Send + Sync + 'static> From<C> for OnFirstUse<C> {
    fn from(client: C) -> Self {
        Self::new(move || client.clone())
    }
}

impl<C> Clone for OnFirstUse<C> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<C> std::fmt::Debug for OnFirstUse<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnFirstUse").field("built", &self.is_built()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::OnFirstUse;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn a_client_is_built_on_its_first_use_and_only_once() {
        let builds = Arc::new(AtomicUsize::new(0));
        let counted = builds.clone();
        let client = OnFirstUse::new(move || counted.fetch_add(1, Ordering::SeqCst) + 41);
        let shared = client.clone();
        assert!(!client.is_built());
        assert_eq!(builds.load(Ordering::SeqCst), 0, "nothing is built before it is used");
        assert_eq!(*client.get(), 41);
        assert_eq!(*shared.get(), 41, "clones share the one client");
        assert!(shared.is_built());
        assert_eq!(builds.load(Ordering::SeqCst), 1);
    }
}
