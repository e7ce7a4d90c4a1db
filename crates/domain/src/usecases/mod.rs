//! Use cases: what the API does, in terms of the ports.

pub mod agents;
pub mod analysis;
pub mod api_keys;
pub mod console_sessions;
pub mod conversations;
pub mod due_work;
pub mod events;
pub mod follow_ups;
pub mod inbound;
pub mod media;
pub mod media_links;
pub mod messaging;
pub mod numbers;
pub mod operator_messages;
pub mod optimistic;
pub mod policies;
pub mod prompts;
pub mod quota;
pub mod reply;
pub mod senders;
pub mod templates;
pub mod tool_calls;
pub mod tools;
pub mod usage;
pub mod user_prompt;
pub mod workspaces;
