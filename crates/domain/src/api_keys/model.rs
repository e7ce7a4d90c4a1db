//! API keys: shown once, stored as a SHA-256 hash, each with one role in one workspace.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::model::ids::{random_hex, sha256_hex, WorkspaceId};

const KEY_SCHEME: &str = "clq";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Write,
    Read,
}

impl Role {
    pub fn can_write(self) -> bool {
        matches!(self, Role::Admin | Role::Write)
    }

    pub fn is_admin(self) -> bool {
        self == Role::Admin
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Write => "write",
            Role::Read => "read",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What is known of a key once issued: everything but the secret.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKey {
    /// The visible, non-secret start of the key (`clq_1a2b3c4d`); names the key in the API.
    pub prefix: String,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub role: Role,
    pub created_at: OffsetDateTime,
}

/// A key just created: the only moment its plaintext exists.
#[derive(Debug, Clone)]
pub struct IssuedKey {
    pub key: ApiKey,
    pub plaintext: String,
    pub hash: String,
}

impl IssuedKey {
    pub fn generate(workspace_id: &WorkspaceId, name: String, role: Role, now: OffsetDateTime) -> Self {
        let prefix = format!("{KEY_SCHEME}_{}", random_hex(4));
        let plaintext = format!("{prefix}_{}", random_hex(32));
        let hash = hash_key(&plaintext);
        let key = ApiKey { prefix, workspace_id: workspace_id.clone(), name, role, created_at: now };
        Self { key, plaintext, hash }
    }
}

pub fn hash_key(plaintext: &str) -> String {
    sha256_hex(plaintext)
}

/// The caller of a request, as established by its API key.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub workspace_id: WorkspaceId,
    pub role: Role,
    pub key_prefix: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_key_starts_with_its_prefix_and_hashes_to_its_hash() {
        let issued = IssuedKey::generate(&"ws_1".into(), "ci".into(), Role::Read, OffsetDateTime::UNIX_EPOCH);
        assert!(issued.plaintext.starts_with(&format!("{}_", issued.key.prefix)));
        assert_eq!(issued.key.prefix.len(), "clq_".len() + 8);
        assert_eq!(issued.hash, hash_key(&issued.plaintext));
        assert_ne!(issued.hash, issued.plaintext);
    }

    #[test]
    fn only_admin_and_write_may_write() {
        assert!(Role::Admin.can_write() && Role::Write.can_write() && !Role::Read.can_write());
        assert!(Role::Admin.is_admin() && !Role::Write.is_admin());
    }
}
