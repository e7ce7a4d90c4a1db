//! The ports media needs: where media is kept, and who turns speech into text.

use std::time::Duration;

use async_trait::async_trait;

use crate::ports::{GraphError, LlmError};

/// What the Graph API says of a media id: where its bytes are for the next few minutes, and
/// what they are.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaInfo {
    pub url: String,
    pub mime_type: Option<String>,
    pub sha256: Option<String>,
    pub file_size: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DownloadError {
    #[error("{0}")]
    Graph(#[from] GraphError),
    #[error("the file is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    /// The URL is not Meta's: the number's token is not sent there.
    #[error("refused to download from {0}")]
    Refused(String),
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("media store: {0}")]
pub struct MediaStoreError(pub String);

/// Where media bytes are kept (the media bucket), by object key.
#[async_trait]
pub trait MediaStore: Send + Sync {
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), MediaStoreError>;
    async fn get(&self, key: &str) -> Result<Vec<u8>, MediaStoreError>;
    /// A URL that fetches the object without credentials until `ttl` has passed.
    async fn presign(&self, key: &str, ttl: Duration) -> Result<String, MediaStoreError>;
    /// A URL that stores one object of exactly `content_type` and `length` bytes at `key`
    /// without credentials (`PUT`), until `ttl` has passed.
    async fn presign_upload(
        &self,
        key: &str,
        content_type: &str,
        length: u64,
        ttl: Duration,
    ) -> Result<String, MediaStoreError>;
    /// Deletes every object whose key starts with `prefix`; how many there were.
    async fn delete_under(&self, prefix: &str) -> Result<u32, MediaStoreError>;
}

/// Audio to transcribe.
#[derive(Debug, Clone, Copy)]
pub struct AudioClip<'a> {
    pub bytes: &'a [u8],
    pub mime_type: &'a str,
    /// With an extension the service recognises (`voice.ogg`).
    pub filename: &'a str,
    /// An ISO-639-1 hint (`de`), if the agent sets one.
    pub language: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Transcript {
    pub text: String,
    /// How long the audio was, when the service says.
    pub seconds: Option<f64>,
}

/// An OpenAI-compatible `/audio/transcriptions` endpoint.
#[async_trait]
pub trait Transcriber: Send + Sync {
    async fn transcribe(&self, clip: AudioClip<'_>) -> Result<Transcript, LlmError>;
}

/// An image for a vision model, already downscaled.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageInput {
    pub mime_type: String,
    pub base64: String,
}

/// Why a contact's file could not be read, in words the agent and the message record can carry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unreadable(pub String);

/// Parses contacts' files where a crash, a runaway allocation or a loop cannot reach the caller.
#[async_trait]
pub trait FileReader: Send + Sync {
    /// A PDF's text, whitespace folded.
    async fn pdf_text(&self, bytes: Vec<u8>) -> Result<String, Unreadable>;
    /// A PDF's text page by page, whitespace folded within lines (a knowledge base's document).
    async fn pdf_pages(&self, bytes: Vec<u8>) -> Result<Vec<String>, Unreadable>;
    /// An HTML page's text, its headings as Markdown's `#` lines.
    async fn html_text(&self, bytes: Vec<u8>) -> Result<String, Unreadable>;
    /// The image as a JPEG that fits `max_side` on its longer side (never enlarged).
    async fn image_as_jpeg(&self, bytes: Vec<u8>, max_side: u32) -> Result<Vec<u8>, Unreadable>;
}
