//! Inbound media, in the worker before the agent answers: fetched from the Graph API with the
//! number's token, checked (type, size, checksum), kept in the media bucket, and read —
//! voice notes transcribed, images downscaled for vision models, PDFs' text extracted. A
//! failure never drops the message: the message records why, and the agent is told in words.

pub mod media_links;
pub mod model;
pub mod port;

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine;

use crate::media::model::{
    checksum_matches, cut_to_chars, essence, ogg_opus_seconds, MediaKind, MediaStatus, DOCUMENT_TEXT_MAX_CHARS,
    IMAGE_MAX_SIDE, MAX_IMAGES_IN_CONTEXT, PDF_MAX_READ_BYTES,
};
use crate::model::{
    Agent, Conversation, Direction, LanguageCode, MediaRef, Message, MessageError, MessageId, WorkspaceId,
};
use crate::numbers::senders::{sender_of, SenderPorts};
use crate::policies::model::Flow;
use crate::policies::{evaluate, PolicyPorts};
use crate::ports::{
    AudioClip, Clock, ConversationStore, DownloadError, FileReader, ImageInput, MediaStore, MediaUpdate, Sender,
    StoreError, Transcriber, WhatsApp,
};
use crate::reply::RetryLater;
use crate::usage::model::{day_of, Tokens, UsageDelta};

/// What perceiving a contact's media uses: Meta's copy, the bucket, the readers.
#[derive(Clone, Copy)]
pub struct MediaPorts<'a> {
    pub conversations: &'a dyn ConversationStore,
    /// Where the file is fetched from, as the conversation's business number.
    pub whatsapp: &'a dyn WhatsApp,
    pub senders: SenderPorts<'a>,
    /// The media bucket.
    pub bucket: &'a dyn MediaStore,
    pub transcriber: &'a dyn Transcriber,
    /// Documents and images, read in a limited child process.
    pub reader: &'a dyn FileReader,
    /// A transcript or a document's text passes the input policies.
    pub policies: PolicyPorts<'a>,
    pub clock: &'a dyn Clock,
    /// Media processed, by type and outcome.
    pub metrics: &'a dyn crate::metrics::Metrics,
}

/// Transient transcription failures (429, 5xx, time-outs) are tried this often before the agent
/// is told it could not hear the voice note.
const TRANSCRIPTION_ATTEMPTS: u32 = 2;

/// 16 MB of the most compressed audio WhatsApp takes lasts a few hours, not more.
const MAX_AUDIO_SECONDS: f64 = 6.0 * 3600.0;

/// Where a message's media is kept: under its workspace and conversation.
pub fn object_key(workspace_id: &WorkspaceId, message: &Message) -> String {
    format!("media/{workspace_id}/{}/{}", message.conversation_id, message.id)
}

/// Processes the media of `messages` that is still pending, updating each message as stored.
/// Meta's time-outs, 5xx and throttling are retried by the queue, unless this is the `last_try`.
/// `done` keeps what this trigger processed, by message id.
pub async fn prepare(
    ports: &MediaPorts<'_>,
    conversation: &Conversation,
    agent: &Agent,
    messages: &mut [Message],
    last_try: bool,
    done: &mut HashMap<MessageId, Message>,
) -> Result<(), RetryLater> {
    for message in messages.iter_mut() {
        // Processed earlier in this trigger; a history read since may not show it yet.
        if let Some(processed) = done.get(&message.id) {
            *message = processed.clone();
            continue;
        }
        let pending = message.media.as_ref().is_some_and(|media| media.status == MediaStatus::Pending);
        let Some(kind) = MediaKind::of(&message.kind) else { continue };
        if message.direction != Direction::Inbound || !pending || message.error.is_some() || message.deleted {
            continue;
        }
        let update = process(ports, conversation, agent, message, kind, last_try).await?;
        match ports.conversations.save_media(&update).await {
            Ok(()) => {}
            // Another run got there first (this one read the message before that run's write).
            Err(StoreError::Conflict(_)) => {
                if let Some(stored) = ports.conversations.get_message(&message.conversation_id, &message.id).await? {
                    *message = stored;
                }
                continue;
            }
            Err(err) => return Err(err.into()),
        }
        if let Some(media) = &update.media.failure {
            tracing::info!(conversation = %conversation.id, message = %message.id, failure = %media, "media could not be used");
        }
        let outcome = match (&update.blocked, update.media.status) {
            (Some(_), _) => "blocked",
            (None, MediaStatus::Stored) => "stored",
            (None, _) => "failed",
        };
        ports.metrics.record(crate::metrics::Measurement::media(&conversation.workspace_id, kind.label(), outcome));
        message.media = Some(update.media);
        if update.blocked.is_some() {
            message.error = update.blocked;
        }
        done.insert(message.id.clone(), message.clone());
    }
    Ok(())
}

async fn process(
    ports: &MediaPorts<'_>,
    conversation: &Conversation,
    agent: &Agent,
    message: &Message,
    kind: MediaKind,
    last_try: bool,
) -> Result<MediaUpdate, RetryLater> {
    let mut media = message.media.clone().unwrap_or_default();
    let mut update = MediaUpdate {
        conversation_id: message.conversation_id.clone(),
        message_id: message.id.clone(),
        media: media.clone(),
        blocked: None,
        usage: None,
    };
    let bytes = match fetch(ports, conversation, &mut media, kind, last_try).await? {
        Ok(bytes) => bytes,
        Err(why) => {
            media.status = MediaStatus::Failed;
            media.failure = Some(why);
            update.media = media;
            return Ok(update);
        }
    };
    let key = object_key(&conversation.workspace_id, message);
    let mime = media.mime_type.clone().unwrap_or_else(|| "application/octet-stream".into());
    let size = bytes.len() as u64;
    // Only what is read afterwards is copied: a 100 MB document is moved into the bucket.
    let readable = match kind {
        MediaKind::Video => false,
        MediaKind::Document => mime == PDF && size <= PDF_MAX_READ_BYTES,
        MediaKind::Audio | MediaKind::Image | MediaKind::Sticker => true,
    };
    let kept = readable.then(|| bytes.clone());
    ports.bucket.put(&key, bytes, &mime).await.map_err(|err| RetryLater::Busy(err.to_string()))?;
    media.status = MediaStatus::Stored;
    media.size = Some(size);
    media.key = Some(key.clone());
    let read = match (kind, kept) {
        (MediaKind::Audio, Some(bytes)) => transcribe(ports, agent, &mut media, &bytes).await.map(|seconds| {
            update.usage = Some(UsageDelta {
                workspace_id: conversation.workspace_id.clone(),
                agent_id: agent.id.clone(),
                day: day_of(ports.clock.now()),
                tokens: Tokens { transcribed_seconds: seconds.ceil() as u64, ..Tokens::default() },
            });
        }),
        (MediaKind::Image | MediaKind::Sticker, Some(bytes)) => preview(ports, &mut media, &key, bytes).await,
        (MediaKind::Document, Some(bytes)) => read_pdf(ports, &mut media, bytes).await,
        (MediaKind::Document, None) if mime == PDF => {
            Err(format!("PDFs over {} MB are kept but not read", PDF_MAX_READ_BYTES / (1024 * 1024)))
        }
        _ => Ok(()),
    };
    if let Err(why) = read {
        media.failure = Some(why);
    }
    // What was read is the contact's words: the input policies check it as they check text.
    let words = media.transcript.as_deref().or(media.document_text.as_deref());
    if let Some(words) = words {
        let verdict = evaluate(&ports.policies, &conversation.workspace_id, &conversation.id, Flow::Input, words)
            .await
            .map_err(|err| RetryLater::Busy(err.to_string()))?;
        update.blocked = verdict.blocked_by.as_deref().map(MessageError::blocked_by);
    }
    update.media = media;
    Ok(update)
}

/// The bytes, checked; `Ok(Err(why))` when they cannot be had or are not what WhatsApp announced.
async fn fetch(
    ports: &MediaPorts<'_>,
    conversation: &Conversation,
    media: &mut MediaRef,
    kind: MediaKind,
    last_try: bool,
) -> Result<Result<Vec<u8>, String>, RetryLater> {
    let sender: Sender = match sender_of(&ports.senders, conversation).await {
        Ok(sender) => sender,
        Err(err) => return Ok(Err(format!("the business number cannot fetch it: {err}"))),
    };
    let info = match ports.whatsapp.media_info(&sender, &media.id).await {
        Ok(info) => info,
        Err(err) if err.is_retryable() && !last_try => return Err(RetryLater::WhatsApp(err)),
        Err(err) => return Ok(Err(format!("WhatsApp no longer has it or refused it: {err}"))),
    };
    let mime = essence(info.mime_type.as_deref().or(media.mime_type.as_deref()).unwrap_or_default());
    if !kind.accepts(&mime) {
        return Ok(Err(format!("`{mime}` is not a type WhatsApp delivers as a {}", kind.noun(false))));
    }
    media.mime_type = Some(mime);
    let limit = kind.max_bytes();
    if let Some(size) = info.file_size.filter(|size| *size > limit) {
        return Ok(Err(too_large(Some(size), limit, kind)));
    }
    let bytes = match ports.whatsapp.download_media(&sender, &info.url, limit).await {
        Ok(bytes) => bytes,
        Err(DownloadError::TooLarge { limit }) => return Ok(Err(too_large(None, limit, kind))),
        Err(DownloadError::Graph(err)) if err.is_retryable() && !last_try => return Err(RetryLater::WhatsApp(err)),
        Err(err) => return Ok(Err(format!("the download failed (the link may have expired): {err}"))),
    };
    let announced = media.sha256.clone().or(info.sha256);
    if let Some(announced) = announced.filter(|announced| !checksum_matches(&bytes, announced)) {
        tracing::warn!(conversation = %conversation.id, media = %media.id, announced = %announced, "media checksum mismatch; refused");
        return Ok(Err("its checksum does not match the one WhatsApp announced: refused and not kept".into()));
    }
    Ok(Ok(bytes))
}

fn too_large(size: Option<u64>, limit: u64, kind: MediaKind) -> String {
    let mb = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    let limit = format!("WhatsApp's {:.1} MB limit for this type ({})", mb(limit), kind.noun(false));
    match size {
        Some(size) => format!("the file is {:.1} MB, over {limit}", mb(size)),
        None => format!("the file is larger than {limit}"),
    }
}

/// The transcript on `media`; the audio's seconds, for usage.
async fn transcribe(ports: &MediaPorts<'_>, agent: &Agent, media: &mut MediaRef, bytes: &[u8]) -> Result<f64, String> {
    let mime = media.mime_type.clone().unwrap_or_else(|| "audio/ogg".into());
    let filename = format!("voice.{}", extension(&mime));
    let clip = AudioClip {
        bytes,
        mime_type: &mime,
        filename: &filename,
        language: agent.transcription_language.as_ref().map(LanguageCode::as_str),
    };
    let mut attempt = 1;
    let transcript = loop {
        match ports.transcriber.transcribe(clip).await {
            Ok(transcript) => break transcript,
            Err(err) if err.is_retryable() && attempt < TRANSCRIPTION_ATTEMPTS => {
                tracing::warn!(error = %err, attempt, "transcription failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                attempt += 1;
            }
            Err(err) => return Err(format!("it could not be transcribed: {err}")),
        }
    };
    // Said by the service or read from the file: either may be nonsense, and usage adds it up.
    let seconds = transcript.seconds.or_else(|| ogg_opus_seconds(bytes)).unwrap_or(0.0);
    let seconds = if seconds.is_finite() { seconds.clamp(0.0, MAX_AUDIO_SECONDS) } else { 0.0 };
    media.seconds = Some((seconds * 10.0).round() / 10.0);
    media.transcript = Some(transcript.text);
    Ok(seconds)
}

/// What the transcription service recognises the audio by.
fn extension(mime: &str) -> &'static str {
    match mime {
        "audio/mpeg" => "mp3",
        "audio/mp4" | "audio/aac" => "m4a",
        "audio/amr" => "amr",
        _ => "ogg",
    }
}

async fn preview(ports: &MediaPorts<'_>, media: &mut MediaRef, key: &str, bytes: Vec<u8>) -> Result<(), String> {
    let jpeg = ports
        .reader
        .image_as_jpeg(bytes, IMAGE_MAX_SIDE)
        .await
        .map_err(|err| format!("the image could not be opened: {err}"))?;
    let preview_key = format!("{key}.preview.jpg");
    ports.bucket.put(&preview_key, jpeg, "image/jpeg").await.map_err(|err| err.to_string())?;
    media.preview_key = Some(preview_key);
    Ok(())
}

const PDF: &str = "application/pdf";

async fn read_pdf(ports: &MediaPorts<'_>, media: &mut MediaRef, bytes: Vec<u8>) -> Result<(), String> {
    let text = ports.reader.pdf_text(bytes).await.map_err(|err| format!("the PDF could not be read: {err}"))?;
    if text.trim().is_empty() {
        return Err("the PDF has no text (a scan?)".into());
    }
    let (text, truncated) = cut_to_chars(&text, DOCUMENT_TEXT_MAX_CHARS);
    media.document_text = Some(text);
    media.document_text_truncated = truncated;
    Ok(())
}

/// The downscaled images of the most recent image messages, for an agent whose model accepts
/// images; none for the others. `fetched` keeps what one trigger already read (a tool loop asks
/// the model several times). An image that cannot be read back is left out (the agent still
/// reads its caption).
pub async fn images_for(
    bucket: &dyn MediaStore,
    agent: &Agent,
    history: &[Message],
    fetched: &mut HashMap<MessageId, ImageInput>,
) -> HashMap<MessageId, ImageInput> {
    let mut images = HashMap::new();
    if !agent.model.accepts_images {
        return images;
    }
    let recent = history
        .iter()
        .rev()
        .filter(|m| m.direction == Direction::Inbound && m.error.is_none() && m.for_the_agent())
        .filter_map(|m| Some((m, m.media.as_ref()?.preview_key.as_deref()?)))
        .take(MAX_IMAGES_IN_CONTEXT);
    for (message, key) in recent {
        if let Some(image) = fetched.get(&message.id) {
            images.insert(message.id.clone(), image.clone());
            continue;
        }
        match bucket.get(key).await {
            Ok(bytes) => {
                let base64 = base64::engine::general_purpose::STANDARD.encode(bytes);
                let image = ImageInput { mime_type: "image/jpeg".into(), base64 };
                fetched.insert(message.id.clone(), image.clone());
                images.insert(message.id.clone(), image);
            }
            Err(err) => tracing::warn!(message = %message.id, error = %err, "an image could not be read back"),
        }
    }
    images
}
