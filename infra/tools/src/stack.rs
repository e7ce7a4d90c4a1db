//! Creates the template's table and queues on a local AWS (moto), under names of our choosing.

use std::collections::HashMap;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;

use crate::template::{KeyElement, QueueSpec, Template, TemplateError};

#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error("local AWS refused {what}: {detail}")]
    Aws { what: String, detail: String },
    #[error("infra/template.yaml: {0}")]
    Shape(String),
}

/// What was created, by name.
#[derive(Debug, Clone)]
pub struct LocalResources {
    pub table_name: String,
    pub queue_url: String,
    pub dead_letter_queue_url: String,
    /// The media bucket (named like the table).
    pub media_bucket: String,
}

/// The local AWS: one moto server for DynamoDB and one for SQS and Secrets Manager, or one for
/// all. moto is Python: one process runs on one core at a time, and the webhook's write and send
/// then wait for each other's turn; two processes let them run side by side.
#[derive(Clone)]
pub struct LocalAws {
    pub dynamodb: SdkConfig,
    /// SQS, Secrets Manager and S3.
    pub messaging: SdkConfig,
}

impl LocalAws {
    /// Everything on one server at `endpoint`.
    pub async fn single(endpoint: &str) -> Self {
        let config = sdk_config(endpoint).await;
        Self { dynamodb: config.clone(), messaging: config }
    }

    pub async fn split(dynamodb_endpoint: &str, messaging_endpoint: &str) -> Self {
        Self { dynamodb: sdk_config(dynamodb_endpoint).await, messaging: sdk_config(messaging_endpoint).await }
    }

    pub fn dynamodb_client(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.dynamodb)
    }

    pub fn sqs_client(&self) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::new(&self.messaging)
    }

    pub fn s3_client(&self) -> aws_sdk_s3::Client {
        colloquy_adapters::s3::S3MediaStore::client(&self.messaging)
    }

    /// The media bucket `bucket` on the local AWS.
    pub fn media_store(&self, bucket: &str) -> std::sync::Arc<dyn colloquy_domain::ports::MediaStore> {
        std::sync::Arc::new(colloquy_adapters::s3::S3MediaStore::new(self.s3_client(), bucket))
    }

    /// Knowledge bases' snapshots in the media bucket, as deployed.
    pub fn knowledge_index(&self, bucket: &str) -> std::sync::Arc<dyn colloquy_domain::ports::KnowledgeIndex> {
        std::sync::Arc::new(colloquy_adapters::knowledge::snapshots::SnapshotIndex::new(self.s3_client(), bucket))
    }
}

/// An SDK configuration for a local AWS at `endpoint` with throw-away credentials.
async fn sdk_config(endpoint: &str) -> SdkConfig {
    let credentials = aws_sdk_dynamodb::config::Credentials::new("testing", "testing", None, None, "colloquy-local");
    let loader = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(credentials);
    // The same HTTP client the Lambdas use; without one, every request says that none is set.
    let loader = match colloquy_adapters::aws_http::sdk_http_client() {
        Ok(http) => loader.http_client(http),
        Err(err) => {
            tracing::error!(error = %err, "no HTTP client for the local AWS");
            loader
        }
    };
    loader.load().await
}

fn aws_error(what: &str, err: impl std::error::Error) -> StackError {
    StackError::Aws { what: what.to_owned(), detail: DisplayErrorContext(err).to_string() }
}

/// Creates (or finds) the table, queues and bucket named after `name`: table `name`, queue
/// `name-triggers.fifo`, dead-letter queue `name-triggers-dlq.fifo`, bucket `name-media`.
pub async fn provision(aws: &LocalAws, template: &Template, name: &str) -> Result<LocalResources, StackError> {
    create_table(&aws.dynamodb_client(), template, name).await?;
    let (queue_url, dead_letter_queue_url) = create_queues(&aws.sqs_client(), template, name).await?;
    let media_bucket = create_media_bucket(&aws.s3_client(), template, &format!("{name}-media")).await?;
    Ok(LocalResources { table_name: name.to_owned(), queue_url, dead_letter_queue_url, media_bucket })
}

/// The template's bucket as declared: public access blocked, its lifecycle expiry.
async fn create_media_bucket(
    client: &aws_sdk_s3::Client,
    template: &Template,
    name: &str,
) -> Result<String, StackError> {
    use aws_sdk_s3::types::{
        BucketLifecycleConfiguration, ExpirationStatus, LifecycleExpiration, LifecycleRule, LifecycleRuleFilter,
        PublicAccessBlockConfiguration,
    };
    let name = name.to_ascii_lowercase();
    let spec =
        template.buckets().into_iter().next().ok_or_else(|| StackError::Shape("declares no AWS::S3::Bucket".into()))?;
    match client.create_bucket().bucket(&name).send().await {
        Ok(_) => {}
        Err(err) if err.as_service_error().is_some_and(|e| e.is_bucket_already_owned_by_you()) => {}
        Err(err) => return Err(aws_error("creating the media bucket", err)),
    }
    if spec.blocks_public_access {
        let block = PublicAccessBlockConfiguration::builder()
            .block_public_acls(true)
            .block_public_policy(true)
            .ignore_public_acls(true)
            .restrict_public_buckets(true)
            .build();
        client
            .put_public_access_block()
            .bucket(&name)
            .public_access_block_configuration(block)
            .send()
            .await
            .map_err(|err| aws_error("blocking public access to the media bucket", err))?;
    }
    if let Some(days) = spec.expiration_days {
        let rule = LifecycleRule::builder()
            .id("ExpireMedia")
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix("").build())
            .expiration(LifecycleExpiration::builder().days(i32::try_from(days).unwrap_or(i32::MAX)).build())
            .build()
            .map_err(|err| StackError::Shape(err.to_string()))?;
        let lifecycle = BucketLifecycleConfiguration::builder()
            .rules(rule)
            .build()
            .map_err(|err| StackError::Shape(err.to_string()))?;
        client
            .put_bucket_lifecycle_configuration()
            .bucket(&name)
            .lifecycle_configuration(lifecycle)
            .send()
            .await
            .map_err(|err| aws_error("setting the media bucket's lifecycle", err))?;
    }
    Ok(name)
}

fn key_schema(elements: &[KeyElement]) -> Result<Vec<KeySchemaElement>, StackError> {
    elements
        .iter()
        .map(|k| {
            KeySchemaElement::builder()
                .attribute_name(&k.attribute)
                .key_type(KeyType::from(k.key_type.as_str()))
                .build()
                .map_err(|err| StackError::Shape(err.to_string()))
        })
        .collect()
}

async fn create_table(client: &aws_sdk_dynamodb::Client, template: &Template, name: &str) -> Result<(), StackError> {
    let spec = template.table()?;
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(key_schema(&spec.key_schema)?));
    for (attribute, kind) in &spec.attributes {
        let definition = AttributeDefinition::builder()
            .attribute_name(attribute)
            .attribute_type(ScalarAttributeType::from(kind.as_str()))
            .build()
            .map_err(|err| StackError::Shape(err.to_string()))?;
        request = request.attribute_definitions(definition);
    }
    for index in &spec.indexes {
        let projection =
            Projection::builder().projection_type(ProjectionType::from(index.projection_type.as_str())).build();
        let index = GlobalSecondaryIndex::builder()
            .index_name(&index.name)
            .set_key_schema(Some(key_schema(&index.key_schema)?))
            .projection(projection)
            .build()
            .map_err(|err| StackError::Shape(err.to_string()))?;
        request = request.global_secondary_indexes(index);
    }
    match request.send().await {
        Ok(_) => {}
        Err(err) if err.as_service_error().is_some_and(|e| e.is_resource_in_use_exception()) => return Ok(()),
        Err(err) => return Err(aws_error("creating the table", err)),
    }
    if let Some(attribute) = spec.ttl_attribute {
        let ttl = TimeToLiveSpecification::builder()
            .attribute_name(attribute)
            .enabled(true)
            .build()
            .map_err(|err| StackError::Shape(err.to_string()))?;
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(ttl)
            .send()
            .await
            .map_err(|err| aws_error("enabling TTL", err))?;
    }
    Ok(())
}

async fn create_queues(
    client: &aws_sdk_sqs::Client,
    template: &Template,
    name: &str,
) -> Result<(String, String), StackError> {
    let queues = template.queues();
    let main = queues
        .iter()
        .find(|q| q.redrive.is_some())
        .ok_or_else(|| StackError::Shape("no queue with a RedrivePolicy (the trigger queue)".into()))?;
    let Some((dlq_id, max_receive)) = &main.redrive else {
        return Err(StackError::Shape("trigger queue lost its RedrivePolicy".into()));
    };
    let dlq = queues
        .iter()
        .find(|q| &q.logical_id == dlq_id)
        .ok_or_else(|| StackError::Shape(format!("dead-letter queue {dlq_id} is not declared")))?;
    let dlq_url = create_queue(client, dlq, &format!("{name}-triggers-dlq"), HashMap::new()).await?;
    let dlq_arn = client
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|err| aws_error("reading the dead-letter queue's ARN", err))?
        .attributes
        .and_then(|mut attributes| attributes.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| StackError::Shape("dead-letter queue has no ARN".into()))?;
    let redrive = serde_json::json!({ "deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive }).to_string();
    let extra = HashMap::from([(QueueAttributeName::RedrivePolicy, redrive)]);
    let url = create_queue(client, main, &format!("{name}-triggers"), extra).await?;
    Ok((url, dlq_url))
}

async fn create_queue(
    client: &aws_sdk_sqs::Client,
    spec: &QueueSpec,
    base_name: &str,
    mut attributes: HashMap<QueueAttributeName, String>,
) -> Result<String, StackError> {
    let name = if spec.fifo { format!("{base_name}.fifo") } else { base_name.to_owned() };
    if spec.fifo {
        attributes.insert(QueueAttributeName::FifoQueue, "true".into());
    }
    if let Some(timeout) = spec.visibility_timeout {
        attributes.insert(QueueAttributeName::VisibilityTimeout, timeout.to_string());
    }
    if let Some(scope) = &spec.deduplication_scope {
        attributes.insert(QueueAttributeName::DeduplicationScope, scope.clone());
    }
    if let Some(limit) = &spec.fifo_throughput_limit {
        attributes.insert(QueueAttributeName::FifoThroughputLimit, limit.clone());
    }
    client
        .create_queue()
        .queue_name(name)
        .set_attributes(Some(attributes))
        .send()
        .await
        .map_err(|err| aws_error("creating a queue", err))?
        .queue_url
        .ok_or_else(|| StackError::Shape("created queue has no URL".into()))
}

/// Numbers' tokens in the local AWS's Secrets Manager, named after the local table.
pub fn local_vault(aws: &LocalAws, table_name: &str) -> std::sync::Arc<dyn colloquy_domain::ports::TokenVault> {
    let client = aws_sdk_secretsmanager::Client::new(&aws.messaging);
    std::sync::Arc::new(colloquy_adapters::vault::SecretsManagerVault::new(client, table_name))
}
