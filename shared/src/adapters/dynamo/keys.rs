//! The table's key layout, in one place. PK/SK strings are built only here.

pub const PK: &str = "PK";
pub const SK: &str = "SK";

pub fn workspace_pk(workspace_id: &str) -> String {
    format!("WS#{workspace_id}")
}

pub fn workspace(workspace_id: &str) -> (String, String) {
    (workspace_pk(workspace_id), "META".to_owned())
}

/// The key by its hash: what authentication reads.
pub fn api_key_by_hash(hash: &str) -> (String, String) {
    (format!("KEY#{hash}"), "KEY".to_owned())
}

pub const API_KEY_LISTING: &str = "APIKEY#";

/// The key in its workspace's partition: what listing and revoking read.
pub fn api_key_listing(workspace_id: &str, prefix: &str) -> (String, String) {
    (workspace_pk(workspace_id), format!("{API_KEY_LISTING}{prefix}"))
}
