//! The local stack: the table and queues of `infra/template.yaml` on moto, and every API route
//! on one port through the same handlers the Lambdas run.

pub mod dev;
pub mod event_source;
pub mod graph_standin;
pub mod llm_standin;
pub mod moto;
pub mod server;
pub mod stack;
pub mod template;
