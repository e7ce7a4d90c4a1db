//! Identifiers: UUIDs, as Wassist's schema has them (`format: uuid`), time-ordered (version 7)
//! so that items sort by creation in a partition; lowercase and hyphenated, so that their text
//! sorts as their time does.

use uuid::Uuid;

pub fn new_id() -> String {
    Uuid::now_v7().hyphenated().to_string()
}

/// Whether `text` is an id this service made: a UUID, or (for items stored before ids were UUIDs)
/// a prefixed one such as `conv_…`.
pub fn is_id(text: &str) -> bool {
    let legacy = text.split_once('_').is_some_and(|(prefix, rest)| {
        !prefix.is_empty()
            && prefix.bytes().all(|b| b.is_ascii_lowercase())
            && !rest.is_empty()
            && rest.bytes().all(|b| b.is_ascii_alphanumeric())
    });
    legacy || Uuid::try_parse(text).is_ok()
}

/// Random bytes from the operating system, hex-encoded.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    // The OS random source failing is unrecoverable for key generation; it never does on Lambda.
    if let Err(err) = getrandom::fill(&mut buf) {
        panic!("operating system random source unavailable: {err}");
    }
    hex::encode(buf)
}

pub fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(text.as_bytes()))
}
