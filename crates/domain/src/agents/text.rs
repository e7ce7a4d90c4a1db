//! Everything the agent reads that no one typed: how a reaction, a location, a tapped button, an
//! attachment, an operator's instruction, a template or a follow-up's nudge is put into words.
//! One module, so the agent's view of a conversation is written (and reviewed) in one place.

use crate::media::model::{MediaKind, MediaRef};

pub fn whatsapp_notice(notice: &str) -> String {
    format!("[WhatsApp notice: {notice}]")
}

pub fn reacted(emoji: &str) -> String {
    format!("[reacted {emoji} to a message]")
}

/// `latitude` and `longitude` as Meta sent them (JSON numbers, or `null`).
pub fn location(latitude: &str, longitude: &str, place: &str) -> String {
    format!("[location {latitude}, {longitude} {place}]").trim_end().to_owned()
}

/// An attachment as the webhook announces it, before it is fetched.
pub fn attachment(kind: &str, caption: Option<&str>) -> String {
    let shown = caption.map(|c| format!(": {c}")).unwrap_or_default();
    format!("[{kind}{shown}]")
}

/// A message type Colloquy does not read.
pub fn unsupported(kind: &str) -> String {
    format!("[{kind} message]")
}

pub fn tapped_button(title: &str, id: &str) -> String {
    format!("[tapped the button \"{title}\" (id: {id})]")
}

pub fn chose_from_list(title: &str, description: Option<&str>, id: &str) -> String {
    let description = description.map(|d| format!(" — {d}")).unwrap_or_default();
    format!("[chose \"{title}\"{description} from a list (id: {id})]")
}

pub fn completed_form(name: &str, answers: &str) -> String {
    format!("[completed the {name} form; its answers: {answers}]")
}

/// A fetched attachment of a message of `kind`: what was heard, read or seen of it.
pub fn media(media: &MediaRef, kind: MediaKind, shown_as_image: bool) -> String {
    let noun = kind.noun(media.voice);
    let caption = media.caption.as_deref().map(|c| format!(" with the caption: {c}")).unwrap_or_default();
    let name = media.filename.as_deref().map(|f| format!(" \"{f}\"")).unwrap_or_default();
    let failed = media.failure.is_some();
    match kind {
        MediaKind::Audio => match &media.transcript {
            Some(words) => format!("[{noun}, transcribed] {words}"),
            None => format!("[{noun} that could not be transcribed]"),
        },
        MediaKind::Image | MediaKind::Sticker if shown_as_image => format!("[{noun} attached{caption}]"),
        MediaKind::Image | MediaKind::Sticker if failed => format!("[{noun} that could not be opened{caption}]"),
        MediaKind::Image | MediaKind::Sticker => format!("[{noun} sent, which you cannot see{caption}]"),
        MediaKind::Document => match &media.document_text {
            Some(text) => {
                let cut = if media.document_text_truncated { " (cut short)" } else { "" };
                format!("[document{name}{caption}; its text{cut}:]\n{text}")
            }
            None if failed => format!("[document{name} that could not be read{caption}]"),
            None => format!("[document{name}{caption}, which you cannot read]"),
        },
        MediaKind::Video => format!("[video{caption}, which you cannot watch]"),
    }
}

/// An operator's `POST …/prompt/`: the agent follows it without quoting it to the contact.
pub fn operator_instruction(text: &str) -> String {
    format!(
        "[Instruction from the business, not from the contact: follow it in your next message; do not quote it] {text}"
    )
}

pub fn template_sent(name: &str) -> String {
    format!("[template sent: {name}]")
}

/// What a person wrote while they had taken the conversation over.
pub fn written_by_a_person(text: &str) -> String {
    format!("[written by a person from the business while they had taken over] {text}")
}

pub fn follow_up_nudge(attempt: u32, max_attempts: u32, after_minutes: u32, instruction: &str) -> String {
    format!(
        "[Follow-up {attempt} of {max_attempts}: the contact has not answered for {after_minutes} minutes. {instruction}]"
    )
}
