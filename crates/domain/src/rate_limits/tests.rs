use std::sync::Mutex;

use async_trait::async_trait;
use time::OffsetDateTime;

use super::*;
use crate::model::{Role, WorkspaceId};
use crate::ports::StoreError;

/// Answers what it is told and records what it was asked.
struct Limiter {
    answer: Counted,
    asked: Mutex<Vec<(String, String, i64, RateLimits)>>,
}

#[async_trait]
impl RateLimiter for Limiter {
    async fn count(
        &self,
        workspace_id: &WorkspaceId,
        key_prefix: &str,
        minute: i64,
        limits: RateLimits,
    ) -> Result<Counted, StoreError> {
        if let Ok(mut asked) = self.asked.lock() {
            asked.push((workspace_id.to_string(), key_prefix.to_owned(), minute, limits));
        }
        Ok(self.answer)
    }
}

struct At(OffsetDateTime);

impl Clock for At {
    fn now(&self) -> OffsetDateTime {
        self.0
    }
}

fn principal() -> Principal {
    Principal { workspace_id: "ws".into(), role: Role::Write, key_prefix: "cq_abc".into() }
}

fn limiter(answer: Counted) -> Limiter {
    Limiter { answer, asked: Mutex::new(Vec::new()) }
}

fn at(unix: i64) -> At {
    At(OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH))
}

#[tokio::test]
async fn a_request_is_counted_in_its_minute_for_its_key_and_workspace() {
    let limiter = limiter(Counted::Admitted);

    let admitted = admit(&limiter, &at(6_000_059), RateLimits::DEFAULT, &principal()).await;

    assert!(admitted.is_ok());
    let asked = limiter.asked.lock().map(|a| a.clone()).unwrap_or_default();
    assert_eq!(asked, [("ws".to_owned(), "cq_abc".to_owned(), 100_000, RateLimits::DEFAULT)]);
}

#[tokio::test]
async fn no_limits_count_nothing() {
    let limiter = limiter(Counted::Refused(Limit::Key));

    assert!(admit(&limiter, &at(6_000_000), RateLimits::NONE, &principal()).await.is_ok());
    assert!(limiter.asked.lock().map(|a| a.is_empty()).unwrap_or(false));
    let only_workspace = RateLimits { per_key: None, per_workspace: Some(5) };
    assert!(admit(&limiter, &at(6_000_000), only_workspace, &principal()).await.is_err(), "one limit still counts");
}

#[tokio::test]
async fn a_refusal_names_its_limit_and_the_seconds_to_the_next_minute() {
    let limits = RateLimits { per_key: Some(100), per_workspace: Some(1000) };
    for (unix, limit, per_minute, retry_after_seconds) in
        [(6_000_000, Limit::Key, 100, 60), (6_000_001, Limit::Key, 100, 59), (6_000_059, Limit::Workspace, 1000, 1)]
    {
        let refused = admit(&limiter(Counted::Refused(limit)), &at(unix), limits, &principal()).await;
        let expected = RateLimited { limit, per_minute, retry_after_seconds };
        assert_eq!(refused.as_ref().err().map(ToString::to_string), Some(expected.to_string()));
        assert!(matches!(refused, Err(AppError::RateLimited(got)) if got == expected), "{unix}");
    }
    assert_eq!(
        RateLimited { limit: Limit::Workspace, per_minute: 1000, retry_after_seconds: 7 }.to_string(),
        "this workspace's keys together may make 1000 requests a minute — retry in 7 s"
    );
}
