//! Identifiers: UUIDs, as Wassist's schema has them (`format: uuid`), time-ordered (version 7)
//! so that items sort by creation in a partition; lowercase and hyphenated, so that their text
//! sorts as their time does.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub fn new_id() -> String {
    Uuid::now_v7().hyphenated().to_string()
}

/// One type per kind of id, so that a port taking a workspace and a conversation cannot be handed
/// them the other way round. Each is its text on the wire and in the table (`serde(transparent)`),
/// and reads as a `&str` (`Deref`) wherever text is wanted; the way in is `generate` (a new one)
/// or `from_raw` (one read from a path, an item or a message, whose existence the store decides).
///
/// A port that takes a workspace takes a workspace:
///
/// ```
/// use colloquy_domain::model::{ConversationId, WorkspaceId};
/// fn conversation_of(_workspace: &WorkspaceId, _conversation: &ConversationId) {}
/// conversation_of(&WorkspaceId::generate(), &ConversationId::generate());
/// ```
///
/// and not a conversation, nor bare text:
///
/// ```compile_fail,E0308
/// use colloquy_domain::model::{ConversationId, WorkspaceId};
/// fn conversation_of(_workspace: &WorkspaceId, _conversation: &ConversationId) {}
/// conversation_of(&ConversationId::generate(), &WorkspaceId::generate());
/// ```
///
/// ```compile_fail,E0308
/// use colloquy_domain::model::{ConversationId, WorkspaceId};
/// fn conversation_of(_workspace: &WorkspaceId, _conversation: &ConversationId) {}
/// conversation_of("ws_1", "conv_1");
/// ```
macro_rules! id_types {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A new id, time-ordered.
            pub fn generate() -> Self {
                Self(new_id())
            }

            /// An id as given by a path, a stored item or a queued message.
            pub fn from_raw(raw: impl Into<String>) -> Self {
                Self(raw.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl From<String> for $name {
            fn from(raw: String) -> Self {
                Self(raw)
            }
        }

        impl From<&str> for $name {
            fn from(raw: &str) -> Self {
                Self(raw.to_owned())
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    )*};
}

id_types! {
    /// A workspace: a tenant.
    WorkspaceId;
    AgentId;
    PromptId;
    ConversationId;
    /// A message in its conversation (not Meta's wamid).
    MessageId;
    PolicyId;
    ToolId;
    /// An outbound event to a workspace's webhook.
    EventId;
    KnowledgeBaseId;
    /// A document of a knowledge base.
    DocumentId;
    TestSuiteId;
    /// One run of a test suite.
    TestRunId;
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
