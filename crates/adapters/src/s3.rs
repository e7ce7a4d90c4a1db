//! The media bucket on S3: contacts' media, private, encrypted, expired by a lifecycle rule.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;

use crate::aws::OnFirstUse;
use crate::ports::{MediaStore, MediaStoreError};

pub struct S3MediaStore {
    client: OnFirstUse<aws_sdk_s3::Client>,
    bucket: String,
}

impl S3MediaStore {
    pub fn new(client: impl Into<OnFirstUse<aws_sdk_s3::Client>>, bucket: impl Into<String>) -> Self {
        Self { client: client.into(), bucket: bucket.into() }
    }

    /// A client for the SDK configuration, built when the bucket is first used.
    pub fn on_first_use(aws: &aws_config::SdkConfig) -> OnFirstUse<aws_sdk_s3::Client> {
        let aws = aws.clone();
        OnFirstUse::new(move || Self::client(&aws))
    }

    /// A client for the SDK configuration. A local endpoint (moto) serves buckets by path, not
    /// by host name.
    pub fn client(aws: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
        let local = aws.endpoint_url().is_some();
        aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(aws).force_path_style(local).build())
    }
}

impl S3MediaStore {
    /// Tags an object (`(key, value)`): a lifecycle rule of the bucket may expire it by the tag.
    pub async fn tag(&self, key: &str, (name, value): (&str, &str)) -> Result<(), MediaStoreError> {
        use aws_sdk_s3::types::{Tag, Tagging};
        let tag = Tag::builder().key(name).value(value).build().map_err(|err| failed("tagging", err))?;
        let tagging = Tagging::builder().tag_set(tag).build().map_err(|err| failed("tagging", err))?;
        self.client
            .get()
            .put_object_tagging()
            .bucket(&self.bucket)
            .key(key)
            .tagging(tagging)
            .send()
            .await
            .map_err(|err| failed("cannot tag the object", err))?;
        Ok(())
    }
}

fn failed(what: &str, err: impl std::error::Error) -> MediaStoreError {
    MediaStoreError(format!("{what}: {}", DisplayErrorContext(err)))
}

#[async_trait]
impl MediaStore for S3MediaStore {
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), MediaStoreError> {
        self.client
            .get()
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|err| failed("cannot store the media", err))?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, MediaStoreError> {
        let object = self
            .client
            .get()
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|err| failed("cannot read the media", err))?;
        let body = object.body.collect().await.map_err(|err| failed("cannot read the media", err))?;
        Ok(body.into_bytes().to_vec())
    }

    async fn presign(&self, key: &str, ttl: Duration) -> Result<String, MediaStoreError> {
        let config = PresigningConfig::expires_in(ttl).map_err(|err| failed("presigning", err))?;
        let request = self
            .client
            .get()
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(config)
            .await
            .map_err(|err| failed("cannot presign the media URL", err))?;
        Ok(request.uri().to_owned())
    }

    async fn presign_upload(
        &self,
        key: &str,
        content_type: &str,
        length: u64,
        ttl: Duration,
    ) -> Result<String, MediaStoreError> {
        let config = PresigningConfig::expires_in(ttl).map_err(|err| failed("presigning", err))?;
        let length = i64::try_from(length).map_err(|_| MediaStoreError("the length is too large".into()))?;
        // Signed with its type and length: S3 refuses a PUT of anything else.
        let request = self
            .client
            .get()
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .content_length(length)
            .presigned(config)
            .await
            .map_err(|err| failed("cannot presign the upload URL", err))?;
        Ok(request.uri().to_owned())
    }

    async fn delete_under(&self, prefix: &str) -> Result<u32, MediaStoreError> {
        let mut deleted = 0;
        let mut token = None;
        loop {
            let listed = self
                .client
                .get()
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|err| failed("cannot list the media", err))?;
            for object in listed.contents.unwrap_or_default() {
                let Some(key) = object.key else { continue };
                self.client
                    .get()
                    .delete_object()
                    .bucket(&self.bucket)
                    .key(&key)
                    .send()
                    .await
                    .map_err(|err| failed("cannot delete the media", err))?;
                deleted += 1;
            }
            match listed.next_continuation_token {
                Some(next) if listed.is_truncated == Some(true) => token = Some(next),
                _ => return Ok(deleted),
            }
        }
    }
}
