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

pub const PROMPT: &str = "PROMPT#";

pub fn prompt(workspace_id: &str, prompt_id: &str) -> (String, String) {
    (workspace_pk(workspace_id), format!("{PROMPT}{prompt_id}"))
}

/// Names are unique in a workspace: this item holds the name, conditionally.
pub fn prompt_name(workspace_id: &str, name: &str) -> (String, String) {
    (workspace_pk(workspace_id), format!("PROMPTNAME#{name}"))
}

pub fn prompt_versions_pk(prompt_id: &str) -> String {
    format!("PROMPT#{prompt_id}")
}

pub const PROMPT_VERSION: &str = "V#";

/// Zero-padded so that versions sort by number.
pub fn prompt_version(prompt_id: &str, version: u32) -> (String, String) {
    (prompt_versions_pk(prompt_id), format!("{PROMPT_VERSION}{version:06}"))
}
