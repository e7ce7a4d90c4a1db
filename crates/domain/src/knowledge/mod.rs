//! Knowledge bases: documents a workspace gives its agents to answer from.

pub mod chunk;
