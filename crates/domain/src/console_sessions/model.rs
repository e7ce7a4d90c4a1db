//! A person signed in to the console: one API key, presented once, becomes a session whose secret
//! lives only in the browser's cookie. The table keeps its hash, so a copy of the table signs no
//! one in; every change a page makes carries the session's CSRF token.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::api_keys::model::{ApiKey, Principal, Role};
use crate::model::ids::{random_hex, sha256_hex, WorkspaceId};

/// How long a sign-in lasts unless the person signs out first.
pub const SESSION_LIFETIME: Duration = Duration::hours(12);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsoleSession {
    /// SHA-256 of the cookie's secret: what the table is keyed by.
    pub secret_hash: String,
    pub workspace_id: WorkspaceId,
    /// The key it was opened with: revoking the key ends the session.
    pub key_hash: String,
    pub key_prefix: String,
    /// Who the person is, as the key's name says.
    pub key_name: String,
    pub role: Role,
    /// Sent back with every form; a cross-site form cannot know it.
    pub csrf_token: String,
    #[serde(with = "crate::model::timestamp::iso")]
    pub created_at: OffsetDateTime,
    #[serde(with = "crate::model::timestamp::iso")]
    pub expires_at: OffsetDateTime,
}

/// A session just opened: the only moment its secret exists outside the browser.
#[derive(Debug, Clone)]
pub struct OpenedSession {
    pub session: ConsoleSession,
    pub secret: String,
}

impl OpenedSession {
    pub fn open(key: &ApiKey, key_hash: &str, now: OffsetDateTime, lifetime: Duration) -> Self {
        let secret = random_hex(32);
        let session = ConsoleSession {
            secret_hash: hash_secret(&secret),
            workspace_id: key.workspace_id.clone(),
            key_hash: key_hash.to_owned(),
            key_prefix: key.prefix.clone(),
            key_name: key.name.clone(),
            role: key.role,
            csrf_token: random_hex(16),
            created_at: now,
            expires_at: now + lifetime,
        };
        Self { session, secret }
    }
}

impl ConsoleSession {
    pub fn is_live(&self, now: OffsetDateTime) -> bool {
        now < self.expires_at
    }

    /// Who acts: the same principal an API request with the key would have.
    pub fn principal(&self) -> Principal {
        Principal { workspace_id: self.workspace_id.clone(), role: self.role, key_prefix: self.key_prefix.clone() }
    }

    /// Whether a form's token is this session's, compared in constant time.
    pub fn csrf_matches(&self, presented: &str) -> bool {
        let (expected, presented) = (self.csrf_token.as_bytes(), presented.as_bytes());
        if expected.len() != presented.len() || expected.is_empty() {
            return false;
        }
        expected.iter().zip(presented).fold(0u8, |diff, (a, b)| diff | (a ^ b)) == 0
    }
}

pub fn hash_secret(secret: &str) -> String {
    sha256_hex(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(role: Role) -> ApiKey {
        ApiKey {
            prefix: "clq_1a2b3c4d".into(),
            workspace_id: "ws_1".into(),
            name: "Dana at support".into(),
            role,
            created_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_session_keeps_only_the_hash_of_its_secret_and_acts_as_its_key() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let opened = OpenedSession::open(&key(Role::Read), "keyhash", now, SESSION_LIFETIME);
        let session = &opened.session;
        assert_eq!(opened.secret.len(), 64);
        assert_eq!(session.secret_hash, hash_secret(&opened.secret));
        assert_ne!(session.secret_hash, opened.secret);
        assert_eq!(
            session.principal(),
            Principal { workspace_id: "ws_1".into(), role: Role::Read, key_prefix: "clq_1a2b3c4d".into() }
        );
        assert_eq!(session.key_name, "Dana at support");
        assert_eq!(session.key_hash, "keyhash");
        let again = OpenedSession::open(&key(Role::Read), "keyhash", now, SESSION_LIFETIME);
        assert_ne!(again.secret, opened.secret);
        assert_ne!(again.session.csrf_token, session.csrf_token);
    }

    #[test]
    fn a_session_ends_at_its_lifetime() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let session = OpenedSession::open(&key(Role::Write), "h", now, SESSION_LIFETIME).session;
        assert!(session.is_live(now));
        assert!(session.is_live(now + SESSION_LIFETIME - Duration::seconds(1)));
        assert!(!session.is_live(now + SESSION_LIFETIME));
    }

    #[test]
    fn only_the_session_s_own_token_passes() {
        let session = OpenedSession::open(&key(Role::Write), "h", OffsetDateTime::UNIX_EPOCH, SESSION_LIFETIME).session;
        let token = session.csrf_token.clone();
        assert!(session.csrf_matches(&token));
        assert!(!session.csrf_matches(""));
        assert!(!session.csrf_matches(&token[1..]));
        assert!(!session.csrf_matches(&format!("{token}0")));
        let mut flipped = token.into_bytes();
        flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
        assert!(!session.csrf_matches(&String::from_utf8(flipped).unwrap_or_default()));
        // Two bytes that differ by the same bits: a comparison that let differences cancel out
        // (XOR instead of OR) would take this token.
        let twice = ConsoleSession { csrf_token: "ab".into(), ..session.clone() };
        assert!(!twice.csrf_matches("ba"), "two differences never cancel out");
        let empty = ConsoleSession { csrf_token: String::new(), ..session };
        assert!(!empty.csrf_matches(""), "a session without a token accepts none");
    }

    #[test]
    fn a_secret_s_hash_is_its_sha256_and_tells_secrets_apart() {
        assert_eq!(hash_secret("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_ne!(hash_secret("abc"), hash_secret("abd"));
    }
}
