//! The one integration-test binary: every module runs against moto through the real adapters.

mod api_keys;
mod agent_loop;
mod agents;
mod contract;
mod conversations;
mod follow_ups;
mod graph;
mod input;
mod numbers;
mod prompts;
mod prompt_limits;
mod queue;
mod webhook;
mod workspace;
