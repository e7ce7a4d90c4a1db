//! Media a contact sends: what WhatsApp allows of each kind, what is kept of it, and how the
//! agent is told about it.

use serde::{Deserialize, Serialize};

use crate::model::MessageKind;

/// The media kinds WhatsApp delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Audio,
    Image,
    Sticker,
    Video,
    Document,
}

const MB: u64 = 1024 * 1024;

impl MediaKind {
    /// For metrics.
    pub fn label(self) -> &'static str {
        match self {
            MediaKind::Audio => "audio",
            MediaKind::Image => "image",
            MediaKind::Sticker => "sticker",
            MediaKind::Video => "video",
            MediaKind::Document => "document",
        }
    }

    pub fn of(kind: &MessageKind) -> Option<Self> {
        match kind {
            MessageKind::Audio => Some(Self::Audio),
            MessageKind::Image => Some(Self::Image),
            MessageKind::Sticker => Some(Self::Sticker),
            MessageKind::Video => Some(Self::Video),
            MessageKind::Document => Some(Self::Document),
            _ => None,
        }
    }

    /// WhatsApp's own limits (Cloud API, supported media types): nothing larger can be sent to
    /// a business, so anything larger is not what WhatsApp delivered.
    pub fn max_bytes(self) -> u64 {
        match self {
            Self::Audio | Self::Video => 16 * MB,
            Self::Image => 5 * MB,
            Self::Sticker => 500 * 1024,
            Self::Document => 100 * MB,
        }
    }

    /// Whether `mime` (without parameters, lower case) is a type WhatsApp delivers for this kind.
    pub fn accepts(self, mime: &str) -> bool {
        match self {
            Self::Audio => {
                ["audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg", "audio/opus"].contains(&mime)
            }
            Self::Image => ["image/jpeg", "image/png"].contains(&mime),
            Self::Sticker => mime == "image/webp",
            Self::Video => ["video/mp4", "video/3gpp"].contains(&mime),
            // Documents may be of any type: only PDFs are read.
            Self::Document => mime.contains('/'),
        }
    }

    pub fn noun(self, voice: bool) -> &'static str {
        match self {
            Self::Audio if voice => "voice note",
            Self::Audio => "audio message",
            Self::Image => "image",
            Self::Sticker => "sticker",
            Self::Video => "video",
            Self::Document => "document",
        }
    }
}

/// `audio/ogg; codecs=opus` → `audio/ogg`.
pub fn essence(mime: &str) -> String {
    mime.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}

/// Where a media item is in its processing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaStatus {
    /// Received, not yet fetched (the worker fetches it before answering).
    #[default]
    Pending,
    /// Fetched, checked and kept; what could be read of it is on the message.
    Stored,
    /// It could not be fetched, checked or read: `failure` says why.
    Failed,
}

/// A media attachment: Meta's media id and what the webhook said of it, then what the worker
/// kept and read of it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaRef {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// The checksum the webhook announced (the bytes must match it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// An audio message recorded in WhatsApp (a voice note), not a forwarded file.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub voice: bool,
    #[serde(default)]
    pub status: MediaStatus,
    /// The object in the media bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// A voice note's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcript: Option<String>,
    /// How long the audio is, as far as it is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
    /// A PDF's text, up to `DOCUMENT_TEXT_MAX_CHARS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_text: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub document_text_truncated: bool,
    /// An image downscaled for the model (JPEG), in the media bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview_key: Option<String>,
    /// Why it could not be fetched, checked or read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

/// A PDF's text is given to the agent up to this many characters (about 3,000 tokens).
pub const DOCUMENT_TEXT_MAX_CHARS: usize = 12_000;
/// PDFs larger than this are kept but not read: parsing is CPU- and memory-bound.
pub const PDF_MAX_READ_BYTES: u64 = 10 * MB;
/// Images are downscaled to fit this many pixels on their longer side before the model sees them.
pub const IMAGE_MAX_SIDE: u32 = 1024;
/// The most recent images a vision model is shown (older ones are named by their caption).
pub const MAX_IMAGES_IN_CONTEXT: usize = 3;

impl MediaRef {
    /// What the agent reads for this attachment of a message of `kind`.
    pub fn for_the_agent(&self, kind: MediaKind, shown_as_image: bool) -> String {
        crate::agents::text::media(self, kind, shown_as_image)
    }
}

/// Whether the bytes' SHA-256 is the announced one. Meta's webhooks have shown it hex-encoded
/// and base64-encoded: either is accepted.
pub fn checksum_matches(bytes: &[u8], announced: &str) -> bool {
    use base64::Engine;
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    let announced = announced.trim();
    hex::encode(digest).eq_ignore_ascii_case(announced)
        || base64::engine::general_purpose::STANDARD.encode(digest) == announced
}

/// An Ogg stream's duration from its last page's granule position (Opus runs at 48 kHz): what
/// a voice note lasts when the transcription service does not say.
pub fn ogg_opus_seconds(bytes: &[u8]) -> Option<f64> {
    const CAPTURE: &[u8] = b"OggS";
    let start = bytes.windows(CAPTURE.len()).rposition(|w| w == CAPTURE)?;
    let granule = bytes.get(start + 6..start + 14)?;
    let granule = u64::from_le_bytes(granule.try_into().ok()?);
    // All ones: no packet ends on this page.
    (granule != u64::MAX).then(|| granule as f64 / 48_000.0)
}

/// Characters, not bytes: never cuts a character in two.
pub fn cut_to_chars(text: &str, max: usize) -> (String, bool) {
    match text.char_indices().nth(max) {
        Some((at, _)) => (text.get(..at).unwrap_or_default().to_owned(), true),
        None => (text.to_owned(), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_checksum_is_accepted_hex_or_base64_and_nothing_else() {
        let bytes = b"voice";
        use sha2::Digest;
        let digest = sha2::Sha256::digest(bytes);
        use base64::Engine;
        assert!(checksum_matches(bytes, &hex::encode(digest)));
        assert!(checksum_matches(bytes, &hex::encode(digest).to_uppercase()));
        assert!(checksum_matches(bytes, &base64::engine::general_purpose::STANDARD.encode(digest)));
        assert!(!checksum_matches(b"voicE", &hex::encode(digest)));
        assert!(!checksum_matches(bytes, ""));
    }

    #[test]
    fn mime_parameters_do_not_change_the_type() {
        assert_eq!(essence("audio/ogg; codecs=opus"), "audio/ogg");
        assert!(MediaKind::Audio.accepts(&essence("Audio/OGG; codecs=opus")));
        assert!(!MediaKind::Image.accepts("image/gif"));
        assert!(!MediaKind::Sticker.accepts("image/jpeg"));
    }

    const ALL: [MediaKind; 5] =
        [MediaKind::Audio, MediaKind::Image, MediaKind::Sticker, MediaKind::Video, MediaKind::Document];

    #[test]
    fn each_message_kind_maps_to_its_media_kind_and_text_to_none() {
        let kinds = [
            (MessageKind::Audio, Some(MediaKind::Audio)),
            (MessageKind::Image, Some(MediaKind::Image)),
            (MessageKind::Sticker, Some(MediaKind::Sticker)),
            (MessageKind::Video, Some(MediaKind::Video)),
            (MessageKind::Document, Some(MediaKind::Document)),
            (MessageKind::Text, None),
            (MessageKind::Location, None),
        ];
        for (message, media) in kinds {
            assert_eq!(MediaKind::of(&message), media, "{message:?}");
        }
    }

    #[test]
    fn whatsapp_s_limits_per_kind() {
        let limits: Vec<u64> = ALL.iter().map(|k| k.max_bytes()).collect();
        assert_eq!(limits, vec![16_777_216, 5_242_880, 512_000, 16_777_216, 104_857_600]);
        assert_eq!(PDF_MAX_READ_BYTES, 10_485_760);
    }

    #[test]
    fn each_kind_accepts_only_the_types_whatsapp_delivers_for_it() {
        let types: [(&str, [bool; 5]); 12] = [
            ("audio/aac", [true, false, false, false, true]),
            ("audio/amr", [true, false, false, false, true]),
            ("audio/mpeg", [true, false, false, false, true]),
            ("audio/mp4", [true, false, false, false, true]),
            ("audio/ogg", [true, false, false, false, true]),
            ("audio/opus", [true, false, false, false, true]),
            ("image/jpeg", [false, true, false, false, true]),
            ("image/png", [false, true, false, false, true]),
            ("image/webp", [false, false, true, false, true]),
            ("video/mp4", [false, false, false, true, true]),
            ("video/3gpp", [false, false, false, true, true]),
            ("application/pdf", [false, false, false, false, true]),
        ];
        for (mime, accepted) in types {
            let got: Vec<bool> = ALL.iter().map(|k| k.accepts(mime)).collect();
            assert_eq!(got, accepted, "{mime}");
        }
        for odd in ["", "pdf", "image/gif", "audio/wav", "video/quicktime"] {
            assert!(!ALL[..4].iter().any(|k| k.accepts(odd)), "{odd}");
        }
        assert!(!MediaKind::Document.accepts("pdf"), "a document's type still has a slash");
    }

    #[test]
    fn the_agent_is_told_what_each_attachment_is_and_what_became_of_it() {
        let told = |kind: MediaKind, media: MediaRef, shown: bool| media.for_the_agent(kind, shown);
        let captioned = MediaRef { caption: Some("My lease".into()), ..MediaRef::default() };
        let failed = MediaRef { failure: Some("why".into()), ..captioned.clone() };
        let voice = MediaRef { voice: true, transcript: Some("hello".into()), ..MediaRef::default() };
        assert_eq!(told(MediaKind::Audio, voice.clone(), false), "[voice note, transcribed] hello");
        assert_eq!(told(MediaKind::Audio, MediaRef::default(), false), "[audio message that could not be transcribed]");
        assert_eq!(told(MediaKind::Image, captioned.clone(), true), "[image attached with the caption: My lease]");
        assert_eq!(
            told(MediaKind::Image, failed.clone(), false),
            "[image that could not be opened with the caption: My lease]"
        );
        assert_eq!(told(MediaKind::Sticker, MediaRef::default(), false), "[sticker sent, which you cannot see]");
        let named = MediaRef { filename: Some("lease.pdf".into()), ..captioned.clone() };
        let read = MediaRef { document_text: Some("Rent".into()), ..named.clone() };
        assert_eq!(
            told(MediaKind::Document, read.clone(), false),
            "[document \"lease.pdf\" with the caption: My lease; its text:]\nRent"
        );
        let cut = MediaRef { document_text_truncated: true, ..read };
        assert_eq!(
            told(MediaKind::Document, cut, false),
            "[document \"lease.pdf\" with the caption: My lease; its text (cut short):]\nRent"
        );
        let unreadable = MediaRef { failure: Some("why".into()), ..named.clone() };
        assert_eq!(
            told(MediaKind::Document, unreadable, false),
            "[document \"lease.pdf\" that could not be read with the caption: My lease]"
        );
        assert_eq!(
            told(MediaKind::Document, named, false),
            "[document \"lease.pdf\" with the caption: My lease, which you cannot read]"
        );
        assert_eq!(
            told(MediaKind::Video, captioned, false),
            "[video with the caption: My lease, which you cannot watch]"
        );
    }

    fn ogg_page(granule: u64) -> Vec<u8> {
        let mut page = b"OggS\0\0".to_vec();
        page.extend_from_slice(&granule.to_le_bytes());
        page.extend_from_slice(&[0; 8]);
        page
    }

    #[test]
    fn a_voice_note_lasts_what_its_last_page_says() {
        let mut two_pages = ogg_page(48_000);
        two_pages.extend(ogg_page(120_000));
        assert_eq!(ogg_opus_seconds(&two_pages), Some(2.5), "the last page counts");
        assert_eq!(ogg_opus_seconds(&ogg_page(u64::MAX)), None, "no packet ends on the page");
        assert_eq!(ogg_opus_seconds(&ogg_page(96_000)[..13]), None, "a cut page");
        assert_eq!(ogg_opus_seconds(b"no pages here"), None);
    }

    #[test]
    fn text_is_cut_at_characters_and_says_so() {
        assert_eq!(cut_to_chars("héllo", 2), ("hé".to_owned(), true));
        assert_eq!(cut_to_chars("héllo", 5), ("héllo".to_owned(), false));
        assert_eq!(cut_to_chars("", 0), (String::new(), false));
    }

    proptest! {
        #[test]
        fn reading_a_duration_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64), tail in any::<bool>()) {
            let mut bytes = bytes;
            if tail { bytes.extend_from_slice(b"OggS\0\0"); }
            let _ = ogg_opus_seconds(&bytes);
        }

        #[test]
        fn cutting_text_never_splits_a_character(text in "\\PC{0,40}", max in 0usize..50) {
            let (cut, truncated) = cut_to_chars(&text, max);
            prop_assert!(cut.chars().count() <= max);
            prop_assert_eq!(truncated, text.chars().count() > max);
            prop_assert!(text.starts_with(&cut));
        }

        #[test]
        fn any_announced_checksum_is_compared_without_panicking(announced in "\\PC{0,80}", bytes in proptest::collection::vec(any::<u8>(), 0..32)) {
            let _ = checksum_matches(&bytes, &announced);
        }
    }
}
