//! Tools: a workspace's HTTPS endpoints that an agent may call, with fixed arguments merged over
//! what the model fills, and an optional person's approval before a call runs.

use crate::model::ids::{ToolId, WorkspaceId};
use serde_json::{Map, Value};
use time::OffsetDateTime;

/// Tools every agent may be given without defining them.
pub const HANDOFF_TO_HUMAN: &str = "handoff_to_human";
pub const END_CONVERSATION: &str = "end_conversation";
/// The leasing seed's own example keys: `transfer` hands the conversation to a person (as
/// `handoff_to_human`), `getContact` tells the model the contact's profile.
pub const TRANSFER: &str = "transfer";
pub const GET_CONTACT: &str = "getContact";
/// Searches the agent's knowledge bases; offered to every agent that names one.
pub const SEARCH_KNOWLEDGE: &str = "search_knowledge";
pub const BUILT_IN: [&str; 5] = [HANDOFF_TO_HUMAN, END_CONVERSATION, TRANSFER, GET_CONTACT, SEARCH_KNOWLEDGE];

pub const DEFAULT_TIMEOUT_SECONDS: u32 = 10;
pub const MAX_TIMEOUT_SECONDS: u32 = 30;
pub const DEFAULT_APPROVAL_EXPIRY_MINUTES: u32 = 30;
pub const MAX_APPROVAL_EXPIRY_MINUTES: u32 = 7 * 24 * 60;

/// Compiled patterns of a tool's schema may use this much memory, each.
const PATTERN_SIZE_LIMIT: usize = 256 * 1024;

/// The validator of a tool's arguments. Patterns (`pattern`, `patternProperties`) run on the
/// `regex` engine, whose matching time is linear in the input: backreferences and look-arounds,
/// the features that make matching time unbounded, do not compile, so a schema that uses them is
/// refused when the tool is created or changed.
pub fn argument_validator(schema: &Value) -> Result<jsonschema::Validator, String> {
    let patterns =
        jsonschema::PatternOptions::regex().size_limit(PATTERN_SIZE_LIMIT).dfa_size_limit(PATTERN_SIZE_LIMIT);
    jsonschema::options().with_pattern_options(patterns).build(schema).map_err(|err| err.to_string())
}

#[derive(Debug, Clone, PartialEq)]
pub struct ToolDef {
    pub id: ToolId,
    pub workspace_id: WorkspaceId,
    /// What the model sees: `^[a-zA-Z0-9_-]{1,64}$`, unique per workspace.
    pub name: String,
    pub description: String,
    /// A JSON Schema object for the arguments the model fills.
    pub parameters: Map<String, Value>,
    /// HTTPS, to a public address (the workspace `webhookUrl` rules).
    pub url: String,
    pub timeout_seconds: u32,
    pub require_approval: bool,
    /// Undecided calls count as rejected after this long.
    pub approval_expiry_minutes: u32,
    /// Merged over what the model fills: values the model must not choose.
    pub arguments: Map<String, Value>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// Bumped by every change: a change is stored only over the revision it was made from, so
    /// that two concurrent changes of different fields both survive.
    pub revision: u64,
}

/// `^[a-zA-Z0-9_-]{1,64}$`, the names every provider accepts for a function.
pub fn is_valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_are_what_providers_accept() {
        assert!(is_valid_name("book_viewing") && is_valid_name("get-Contact-2"));
        assert!(!is_valid_name("") && !is_valid_name("book viewing") && !is_valid_name("bücher"));
        assert!(!is_valid_name(&"a".repeat(65)));
    }

    proptest! {
        #[test]
        fn a_valid_name_is_ascii_and_short(name in "\\PC{0,80}") {
            if is_valid_name(&name) {
                prop_assert!(name.is_ascii() && !name.is_empty() && name.len() <= 64);
            }
        }
    }
}
