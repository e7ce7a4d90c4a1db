//! HMAC-SHA256, the one way Colloquy signs and checks bodies: Meta's webhook signature and the
//! signature on events and tool calls sent to tenants.

use hmac::{Hmac, Mac};
use sha2::Sha256;

fn mac(secret: &str, parts: &[&[u8]]) -> Hmac<Sha256> {
    // HMAC takes keys of any length: `new_from_slice` cannot fail for SHA-256.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    for part in parts {
        mac.update(part);
    }
    mac
}

/// The lowercase hex HMAC-SHA256 of the parts, concatenated.
pub fn hmac_hex(secret: &str, parts: &[&[u8]]) -> String {
    hex::encode(mac(secret, parts).finalize().into_bytes())
}

/// Whether `hex_signature` is the HMAC-SHA256 of `body`, compared in constant time.
pub fn hmac_matches(secret: &str, body: &[u8], hex_signature: &str) -> bool {
    match hex::decode(hex_signature) {
        Ok(expected) => mac(secret, &[body]).verify_slice(&expected).is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answer_and_constant_time_check() {
        // RFC 4231, test case 2.
        let expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        assert_eq!(hmac_hex("Jefe", &[b"what do ya want ", b"for nothing?"]), expected);
        assert!(hmac_matches("Jefe", b"what do ya want for nothing?", expected));
        assert!(!hmac_matches("Jefe", b"what do ya want for nothing!", expected));
        assert!(!hmac_matches("Jefe", b"what do ya want for nothing?", "not hex"));
        assert!(!hmac_matches("jefe", b"what do ya want for nothing?", expected));
    }
}
