//! Knowledge bases' index: snapshots built with tantivy, kept in S3, searched in memory.

pub mod index;
pub mod snapshots;
pub mod vectors;
