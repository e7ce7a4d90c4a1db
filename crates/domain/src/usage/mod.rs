//! Token usage over a date range, by day or by agent.

pub mod model;
pub mod port;
pub mod quota;

use std::collections::BTreeMap;

use serde::Serialize;
use time::Date;

use crate::model::values::OutOfRange;
use crate::model::Principal;
use crate::ports::UsageStore;
use crate::usage::model::{day_of, Tokens};
use crate::AppError;

pub const MAX_RANGE_DAYS: i64 = 366;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    Day,
    Agent,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageLine {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub day: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    #[serde(flatten)]
    pub tokens: Tokens,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageReport {
    pub from: String,
    pub to: String,
    pub group_by: GroupBy,
    pub totals: Tokens,
    pub results: Vec<UsageLine>,
}

/// A day as the API takes it: `2026-11-22`.
pub fn parse_day(text: &str) -> Result<Date, OutOfRange> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text, format).map_err(|_| OutOfRange::new(format!("must be a date like 2026-11-22 (got `{text}`)")))
}

/// `day` or `agent`.
pub fn parse_group_by(text: &str) -> Result<GroupBy, OutOfRange> {
    match text {
        "day" => Ok(GroupBy::Day),
        "agent" => Ok(GroupBy::Agent),
        other => Err(OutOfRange::new(format!("must be `day` or `agent` (got `{other}`)"))),
    }
}

/// Why a report's range cannot be: both name its start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsageRejection {
    #[error("must not be after `to`")]
    StartsAfterEnd,
    #[error("the range may span at most {MAX_RANGE_DAYS} days")]
    TooLong,
}

impl From<UsageRejection> for AppError {
    fn from(rejection: UsageRejection) -> Self {
        Self::Rejected(rejection.into())
    }
}

/// `from` and `to` are inclusive days (UTC); by default, this month so far.
pub async fn report(
    usage: &dyn UsageStore,
    now: time::OffsetDateTime,
    principal: &Principal,
    from: Option<Date>,
    to: Option<Date>,
    group_by: GroupBy,
) -> Result<UsageReport, AppError> {
    let to = to.unwrap_or(now.date());
    let from = from.unwrap_or(to.replace_day(1).unwrap_or(to));
    if from > to {
        return Err(UsageRejection::StartsAfterEnd.into());
    }
    if (to - from).whole_days() >= MAX_RANGE_DAYS {
        return Err(UsageRejection::TooLong.into());
    }
    let (from, to) = (day_of(from.midnight().assume_utc()), day_of(to.midnight().assume_utc()));
    let rows = usage.usage(&principal.workspace_id, &from, &to, group_by == GroupBy::Agent).await?;
    let mut totals = Tokens::default();
    let mut lines: BTreeMap<String, UsageLine> = BTreeMap::new();
    for row in rows {
        totals.add(row.tokens);
        let (key, line) = match group_by {
            GroupBy::Day => {
                (row.day.clone(), UsageLine { day: Some(row.day), agent_id: None, tokens: Tokens::default() })
            }
            GroupBy::Agent => {
                let agent = row.agent_id.unwrap_or_default();
                (
                    agent.to_string(),
                    UsageLine { day: None, agent_id: Some(agent.into_string()), tokens: Tokens::default() },
                )
            }
        };
        lines.entry(key).or_insert(line).tokens.add(row.tokens);
    }
    Ok(UsageReport { from, to, group_by, totals, results: lines.into_values().collect() })
}
