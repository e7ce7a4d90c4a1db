//! Pagination cursors carry only the sort key of the last item returned. The partition key is
//! rebuilt from the caller's workspace, so a cursor can never reach into another partition.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::ports::StoreError;

pub fn encode(sort_key: &str) -> String {
    URL_SAFE_NO_PAD.encode(sort_key)
}

/// Decodes a cursor and checks that it points into the collection being listed.
pub fn decode(cursor: &str, collection_prefix: &str) -> Result<String, StoreError> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| StoreError::BadCursor)?;
    let sort_key = String::from_utf8(bytes).map_err(|_| StoreError::BadCursor)?;
    if sort_key.starts_with(collection_prefix) {
        Ok(sort_key)
    } else {
        Err(StoreError::BadCursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_foreign_cursors() {
        let cursor = encode("APIKEY#clq_1234abcd");
        assert_eq!(decode(&cursor, "APIKEY#").ok().as_deref(), Some("APIKEY#clq_1234abcd"));
        assert!(decode(&cursor, "PROMPT#").is_err());
        assert!(decode("%%%", "APIKEY#").is_err());
    }

    proptest::proptest! {
        #[test]
        fn any_cursor_is_refused_or_read_without_panicking(cursor in "\\PC{0,120}") {
            let _ = decode(&cursor, "APIKEY#");
        }

        #[test]
        fn every_sort_key_round_trips(rest in "\\PC{0,80}") {
            let key = format!("MSG#{rest}");
            proptest::prop_assert_eq!(decode(&encode(&key), "MSG#").ok(), Some(key));
        }
    }
}
