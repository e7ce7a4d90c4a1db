//! The one integration-test binary: every module runs against moto through the real adapters.

mod agent_loop;
mod agents;
mod analysis;
mod api_keys;
mod contract;
mod conversation_feel;
mod conversations;
mod events;
mod follow_ups;
mod graph;
mod hardening;
mod input;
mod media;
mod numbers;
mod policies;
mod prompt_document;
mod prompt_effect;
mod prompt_limits;
mod prompts;
mod queue;
mod send_prompt;
mod tool_loop;
mod tools;
mod usage;
mod webhook;
mod workspace;
