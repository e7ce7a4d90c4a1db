//! Identifiers. Time-ordered (UUIDv7) so that items sort by creation in a partition.

use uuid::Uuid;

pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", Uuid::now_v7().simple())
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
