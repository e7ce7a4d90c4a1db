//! The AWS SDK configuration from the environment (`AWS_ENDPOINT_URL` points it at a local stack),
//! on the process's shared HTTPS client.

pub use aws_config::SdkConfig;

use crate::aws_http::sdk_http_client;
use crate::config::ConfigError;

pub async fn load() -> Result<SdkConfig, ConfigError> {
    let http = sdk_http_client().map_err(ConfigError::Invalid)?;
    Ok(aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(http).load().await)
}
