//! Tenants' access tokens in AWS Secrets Manager: encrypted at rest with KMS, outside the table,
//! readable only by the functions that send. One secret per registered number.

use crate::model::WorkspaceId;
use async_trait::async_trait;
use aws_sdk_secretsmanager::error::DisplayErrorContext;

use crate::aws::OnFirstUse;
use crate::ports::{Secret, TokenVault, VaultError};

pub struct SecretsManagerVault {
    client: OnFirstUse<aws_sdk_secretsmanager::Client>,
    /// Names this deployment's secrets: `<prefix>/numbers/<workspace>/<phone number id>`.
    prefix: String,
}

impl SecretsManagerVault {
    pub fn new(client: impl Into<OnFirstUse<aws_sdk_secretsmanager::Client>>, prefix: impl Into<String>) -> Self {
        Self { client: client.into(), prefix: prefix.into() }
    }

    /// A client for the SDK configuration, built when a token is first stored or read.
    pub fn on_first_use(aws: &aws_config::SdkConfig) -> OnFirstUse<aws_sdk_secretsmanager::Client> {
        let aws = aws.clone();
        OnFirstUse::new(move || aws_sdk_secretsmanager::Client::new(&aws))
    }
}

fn failed(what: &str, err: impl std::error::Error) -> VaultError {
    VaultError(format!("{what}: {}", DisplayErrorContext(err)))
}

#[async_trait]
impl TokenVault for SecretsManagerVault {
    async fn store_token(
        &self,
        workspace_id: &WorkspaceId,
        phone_number_id: &str,
        token: &Secret,
    ) -> Result<String, VaultError> {
        let name = format!("{}/numbers/{workspace_id}/{phone_number_id}", self.prefix);
        let created = self
            .client
            .get()
            .create_secret()
            .name(&name)
            .description("WhatsApp access token of a number registered to a Colloquy workspace")
            .secret_string(token.expose())
            .send()
            .await;
        match created {
            Ok(created) => Ok(created.arn.unwrap_or(name)),
            // The same workspace registers the number again: the new token replaces the old.
            Err(err) if err.as_service_error().is_some_and(|e| e.is_resource_exists_exception()) => {
                let put =
                    self.client.get().put_secret_value().secret_id(&name).secret_string(token.expose()).send().await;
                let put = put.map_err(|err| failed("cannot replace the number's token", err))?;
                Ok(put.arn.unwrap_or(name))
            }
            Err(err) => Err(failed("cannot keep the number's token", err)),
        }
    }

    async fn token(&self, reference: &str) -> Result<Secret, VaultError> {
        let found = self.client.get().get_secret_value().secret_id(reference).send().await;
        let found = found.map_err(|err| failed("cannot read the number's token", err))?;
        found.secret_string.map(Secret).ok_or_else(|| VaultError("the number's token secret is empty".into()))
    }

    async fn delete_token(&self, reference: &str) -> Result<(), VaultError> {
        let deleted =
            self.client.get().delete_secret().secret_id(reference).force_delete_without_recovery(true).send().await;
        match deleted {
            Ok(_) => Ok(()),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()) => Ok(()),
            Err(err) => Err(failed("cannot delete the number's token", err)),
        }
    }
}
