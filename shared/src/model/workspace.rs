use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::ids::new_id;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Workspace {
    pub id: String,
    pub name: String,
    #[serde(with = "super::timestamp::iso")]
    pub created_at: OffsetDateTime,
}

impl Workspace {
    pub fn new(name: String, now: OffsetDateTime) -> Self {
        Self { id: new_id("ws"), name, created_at: now }
    }
}
