use serde::Serialize;

use crate::model::{timestamp, ConversationId, PolicyId};
use colloquy_domain::policies::model::{Action, AppliesTo, Detector, Flow, Policy, Violation};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyView {
    pub id: PolicyId,
    pub name: String,
    pub keywords: Vec<String>,
    pub patterns: Vec<String>,
    pub detectors: Vec<Detector>,
    pub applies_to: AppliesTo,
    pub action: Action,
    pub enabled: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Policy> for PolicyView {
    fn from(p: &Policy) -> Self {
        Self {
            id: p.id.clone(),
            name: p.name.clone(),
            keywords: p.keywords.clone(),
            patterns: p.patterns.clone(),
            detectors: p.detectors.clone(),
            applies_to: p.applies_to,
            action: p.action,
            enabled: p.enabled,
            created_at: timestamp::format(p.created_at),
            updated_at: timestamp::format(p.updated_at),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ViolationView {
    pub id: String,
    pub policy_id: PolicyId,
    pub policy_name: String,
    /// `input` (a prompt or inbound message) or `output` (the LLM's reply).
    pub direction: Flow,
    pub action: Action,
    pub conversation_id: ConversationId,
    pub excerpt: String,
    pub created_at: String,
}

impl From<&Violation> for ViolationView {
    fn from(v: &Violation) -> Self {
        Self {
            id: v.id.clone(),
            policy_id: v.policy_id.clone(),
            policy_name: v.policy_name.clone(),
            direction: v.flow,
            action: v.action,
            conversation_id: v.conversation_id.clone(),
            excerpt: v.excerpt.clone(),
            created_at: timestamp::format(v.created_at),
        }
    }
}
