//! The bodies of `PATCH /api/v1/workspace/` and `POST /api/v1/api-keys/`.

use serde::Deserialize;

use super::present;
use crate::model::input::{required_text, InvalidField};
use crate::model::outbound_url::{self, OutboundRules};
use crate::model::Role;
use colloquy_domain::api_keys::{NewKey, MAX_NAME_CHARS};
use colloquy_domain::workspaces::WorkspaceChange;

/// Absent fields stay, `null` clears.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceChangeBody {
    #[serde(default, deserialize_with = "present")]
    pub monthly_token_quota: Option<Option<u64>>,
    #[serde(default, deserialize_with = "present")]
    pub webhook_url: Option<Option<String>>,
    #[serde(default)]
    pub webhook_enabled: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    pub retention_days: Option<Option<u64>>,
}

impl WorkspaceChangeBody {
    /// The webhook must be an address the deployment's outbound rules allow.
    pub fn parse(self, rules: &OutboundRules) -> Result<WorkspaceChange, InvalidField> {
        let webhook_url = match self.webhook_url {
            Some(Some(url)) => Some(Some(
                outbound_url::check(&url, rules).map_err(|why| InvalidField::new("webhookUrl", why))?.to_string(),
            )),
            other => other,
        };
        let retention_days = match self.retention_days {
            Some(Some(days)) => Some(Some(
                colloquy_domain::retention::days(days).map_err(|why| InvalidField::new("retentionDays", why))?,
            )),
            Some(None) => Some(None),
            None => None,
        };
        Ok(WorkspaceChange {
            monthly_token_quota: self.monthly_token_quota,
            webhook_url,
            webhook_enabled: self.webhook_enabled,
            retention_days,
        })
    }
}

#[derive(Debug, Deserialize)]
pub struct NewKeyBody {
    pub name: String,
    pub role: Role,
}

impl TryFrom<NewKeyBody> for NewKey {
    type Error = InvalidField;

    fn try_from(body: NewKeyBody) -> Result<Self, InvalidField> {
        Ok(NewKey { name: required_text("name", &body.name, MAX_NAME_CHARS)?, role: body.role })
    }
}
