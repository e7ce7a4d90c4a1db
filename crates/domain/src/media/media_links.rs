//! Operators fetch a message's media: a short-lived link to the object in the media bucket,
//! only for messages of their own workspace's conversations.

use std::time::Duration;

use serde::Serialize;

use crate::conversations::get_conversation;
use crate::media::model::MediaStatus;
use crate::model::{timestamp, ConversationId, MessageId, Principal};
use crate::ports::{Clock, ConversationStore, MediaStore};
use crate::AppError;

/// How long a link works: long enough to open it, short enough that a leaked link soon dies.
pub const LINK_TTL: Duration = Duration::from_secs(300);

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaLink {
    pub url: String,
    pub expires_at: String,
    pub mime_type: Option<String>,
    pub size: Option<u64>,
    pub filename: Option<String>,
}

pub async fn media_link(
    conversations: &dyn ConversationStore,
    bucket: &dyn MediaStore,
    clock: &dyn Clock,
    principal: &Principal,
    conversation_id: &ConversationId,
    message_id: &MessageId,
) -> Result<MediaLink, AppError> {
    let (key, media) = stored_media(conversations, principal, conversation_id, message_id).await?;
    let url = bucket.presign(&key, LINK_TTL).await.map_err(|err| AppError::Internal(err.to_string()))?;
    let expires_at = clock.now() + LINK_TTL;
    Ok(MediaLink {
        url,
        expires_at: timestamp::format(expires_at),
        mime_type: media.mime_type,
        size: media.size,
        filename: media.filename,
    })
}

/// Which of a message's files: what the contact sent, or the small JPEG made of an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rendition {
    Original,
    Preview,
}

/// A message's media read back from the bucket, for the console to serve on its own origin.
pub struct MediaBytes {
    pub bytes: Vec<u8>,
    pub mime_type: Option<String>,
    pub filename: Option<String>,
}

pub async fn media_bytes(
    conversations: &dyn ConversationStore,
    bucket: &dyn MediaStore,
    principal: &Principal,
    conversation_id: &ConversationId,
    message_id: &MessageId,
    rendition: Rendition,
) -> Result<MediaBytes, AppError> {
    let (key, media) = stored_media(conversations, principal, conversation_id, message_id).await?;
    let key = match rendition {
        Rendition::Original => key,
        Rendition::Preview => media
            .preview_key
            .clone()
            .ok_or_else(|| AppError::NotFound(format!("message `{message_id}` has no preview")))?,
    };
    let bytes = bucket.get(&key).await.map_err(|err| AppError::Internal(err.to_string()))?;
    Ok(MediaBytes { bytes, mime_type: media.mime_type, filename: media.filename })
}

/// The stored object's key and what is known of it, for a message of the principal's workspace.
async fn stored_media(
    conversations: &dyn ConversationStore,
    principal: &Principal,
    conversation_id: &ConversationId,
    message_id: &MessageId,
) -> Result<(String, crate::model::MediaRef), AppError> {
    let conversation = get_conversation(conversations, principal, conversation_id).await?;
    let message = conversations
        .get_message(&conversation.id, message_id)
        .await?
        .ok_or_else(|| AppError::not_found(&format!("message `{message_id}` of this conversation")))?;
    let media = message.media.ok_or_else(|| AppError::NotFound(format!("message `{message_id}` has no media")))?;
    let key = match (&media.key, media.status) {
        (Some(key), _) => key.clone(),
        (None, MediaStatus::Pending) => {
            return Err(AppError::Conflict(
                "the media is not fetched yet: the agent fetches it before it answers; try again in a few seconds"
                    .into(),
            ))
        }
        (None, _) => {
            let why = media.failure.unwrap_or_else(|| "it was not kept".into());
            return Err(AppError::NotFound(format!("the media of message `{message_id}` was not kept: {why}")));
        }
    };
    Ok((key, media))
}
