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
