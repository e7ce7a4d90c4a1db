//! The AWS SDK configuration from the environment (`AWS_ENDPOINT_URL` points it at a local stack).

pub use aws_config::SdkConfig;

pub async fn load() -> SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}
