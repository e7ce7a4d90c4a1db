//! The policy set on a small fake of its one port: every stored policy is evaluated, and an
//! unchanged set is compiled once.

use crate::model::{PolicyId, WorkspaceId};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use async_trait::async_trait;
use time::OffsetDateTime;

use super::*;
use crate::policies::model::{Action, AppliesTo, Violation};
use crate::ports::StoreError;

/// Policies and violations in lists; counts the listings.
#[derive(Default)]
struct Policies {
    stored: Mutex<Vec<Policy>>,
    violations: Mutex<Vec<Violation>>,
    listings: AtomicUsize,
}

#[async_trait]
impl PolicyStore for Policies {
    async fn put_policy(&self, policy: &Policy, _expected: Option<u64>) -> Result<(), StoreError> {
        self.stored.lock().map_err(|_| StoreError::Unavailable("poisoned".into()))?.push(policy.clone());
        Ok(())
    }
    async fn get_policy(
        &self,
        _workspace_id: &WorkspaceId,
        policy_id: &PolicyId,
    ) -> Result<Option<Policy>, StoreError> {
        let stored = self.stored.lock().map_err(|_| StoreError::Unavailable("poisoned".into()))?;
        Ok(stored.iter().find(|p| p.id == *policy_id).cloned())
    }
    async fn list_policies(&self, workspace_id: &WorkspaceId, page: &PageRequest) -> Result<Page<Policy>, StoreError> {
        self.listings.fetch_add(1, Ordering::SeqCst);
        let stored = self.stored.lock().map_err(|_| StoreError::Unavailable("poisoned".into()))?;
        let start = page.cursor.as_deref().and_then(|c| c.parse::<usize>().ok()).unwrap_or(0);
        let mine: Vec<_> = stored.iter().filter(|p| p.workspace_id == *workspace_id).cloned().collect();
        let end = (start + page.limit as usize).min(mine.len());
        let next_cursor = (end < mine.len()).then(|| end.to_string());
        Ok(Page { items: mine[start..end].to_vec(), next_cursor })
    }
    async fn delete_policy(&self, _workspace_id: &WorkspaceId, policy_id: &PolicyId) -> Result<bool, StoreError> {
        let mut stored = self.stored.lock().map_err(|_| StoreError::Unavailable("poisoned".into()))?;
        let before = stored.len();
        stored.retain(|p| p.id != *policy_id);
        Ok(stored.len() < before)
    }
    async fn record_violations(&self, violations: &[Violation]) -> Result<(), StoreError> {
        self.violations.lock().map_err(|_| StoreError::Unavailable("poisoned".into()))?.extend_from_slice(violations);
        Ok(())
    }
    async fn list_violations(
        &self,
        _workspace_id: &WorkspaceId,
        _page: &PageRequest,
    ) -> Result<Page<Violation>, StoreError> {
        let recorded = self.violations.lock().map_err(|_| StoreError::Unavailable("poisoned".into()))?;
        Ok(Page { items: recorded.clone(), next_cursor: None })
    }
}

fn rule(n: usize, keyword: &str) -> Policy {
    Policy {
        id: format!("pol_{n}").into(),
        workspace_id: "ws_1".into(),
        name: format!("rule {n}"),
        keywords: vec![keyword.into()],
        patterns: Vec::new(),
        detectors: Vec::new(),
        applies_to: AppliesTo::Input,
        action: Action::Block,
        enabled: true,
        created_at: OffsetDateTime::UNIX_EPOCH,
        updated_at: OffsetDateTime::UNIX_EPOCH,
        revision: 0,
    }
}

async fn fill(store: &Policies, count: usize) {
    for n in 0..count {
        store.put_policy(&rule(n, &format!("word{n}x")), None).await.expect("stored");
    }
}

#[tokio::test]
async fn every_stored_policy_is_evaluated_past_one_page() {
    let store = Policies::default();
    fill(&store, MAX_POLICIES).await;
    let last = format!("WORD{}X", MAX_POLICIES - 1);
    let verdict = check_with(
        &PolicyCache::default(),
        &store,
        OffsetDateTime::UNIX_EPOCH,
        &"ws_1".into(),
        &"conv_1".into(),
        Flow::Input,
        &format!("İ say {last}"),
    )
    .await
    .expect("checked");
    assert_eq!(verdict.blocked_by, Some(format!("rule {}", MAX_POLICIES - 1)));
    assert_eq!(verdict.violations.len(), 1);
}

#[tokio::test]
async fn the_cap_counts_every_stored_policy() {
    let store = Policies::default();
    fill(&store, MAX_POLICIES).await;
    let stored = all_policies(&store, &"ws_1".into()).await.expect("listed");
    assert_eq!(stored.len(), MAX_POLICIES);
    assert!(within_caps(&stored, &rule(MAX_POLICIES, "one more")).is_err());
    assert!(within_caps(&stored[1..], &rule(MAX_POLICIES, "one more")).is_ok());
}

#[tokio::test]
async fn an_unchanged_policy_set_is_not_compiled_again_when_the_cache_goes_stale() {
    let store = Policies::default();
    fill(&store, 2).await;
    let cache = PolicyCache::default();
    let first = cache.get(&store, &"ws_1".into()).await.expect("loaded");
    cache.0.age(&"ws_1".into(), CACHE_TTL);
    let again = cache.get(&store, &"ws_1".into()).await.expect("reloaded");
    assert_eq!(store.listings.load(Ordering::SeqCst), 2, "the stale entry was checked against the store");
    assert!(Arc::ptr_eq(&first, &again), "the same policies are not compiled again");

    store.put_policy(&rule(9, "new"), None).await.expect("stored");
    cache.0.age(&"ws_1".into(), CACHE_TTL);
    let changed = cache.get(&store, &"ws_1".into()).await.expect("reloaded");
    assert!(!Arc::ptr_eq(&first, &changed), "a changed set is compiled");
    assert_eq!(changed.policies.len(), 3);
}

#[tokio::test]
async fn a_policy_saved_or_deleted_through_the_cache_applies_at_once_in_this_container() {
    let store = Arc::new(Policies::default());
    fill(&store, 1).await;
    let cached = crate::cached::CachedPolicies::over(store.clone());
    let verdict = |text: &'static str| {
        let cached = &cached;
        async move {
            let (sets, policies) = cached.compiled();
            let (ws, conversation) = (WorkspaceId::from("ws_1"), crate::model::ConversationId::from("conv_1"));
            check_with(sets, policies, OffsetDateTime::UNIX_EPOCH, &ws, &conversation, Flow::Input, text)
                .await
                .expect("checked")
                .blocked_by
        }
    };
    assert_eq!(verdict("say word0x").await, Some("rule 0".to_owned()));
    assert_eq!(verdict("say refund").await, None, "the set is cached now");

    cached.put_policy(&rule(1, "refund"), None).await.expect("stored");
    assert_eq!(verdict("say refund").await, Some("rule 1".to_owned()), "a new policy applies at once");
    assert_eq!(cached.delete_policy(&"ws_1".into(), &"pol_1".into()).await.ok(), Some(true));
    assert_eq!(verdict("say refund").await, None, "a deleted policy stops at once");
}

#[tokio::test]
async fn reads_and_violations_pass_through_the_cache_to_the_store() {
    let store = Arc::new(Policies::default());
    fill(&store, 2).await;
    let cached = crate::cached::CachedPolicies::over(store.clone());
    let ws = WorkspaceId::from("ws_1");
    let found = cached.get_policy(&ws, &"pol_1".into()).await.expect("read");
    assert_eq!(found.map(|p| p.name), Some("rule 1".to_owned()));
    let all = PageRequest { limit: 10, cursor: None };
    assert_eq!(cached.list_policies(&ws, &all).await.expect("listed").items.len(), 2);

    let (sets, policies) = cached.compiled();
    let verdict = check_with(sets, policies, OffsetDateTime::UNIX_EPOCH, &ws, &"conv_1".into(), Flow::Input, "word1x")
        .await
        .expect("checked");
    cached.record_violations(&verdict.violations).await.expect("recorded");
    let recorded = cached.list_violations(&ws, &all).await.expect("listed").items;
    assert_eq!(recorded.iter().map(|v| v.policy_name.as_str()).collect::<Vec<_>>(), ["rule 1"]);
}

fn rejection(result: Result<(), AppError>) -> Option<PolicyRejection> {
    match result {
        Err(AppError::Rejected(crate::error::Rejection::Policy(rejection))) => Some(rejection),
        _ => None,
    }
}

#[test]
fn keywords_and_patterns_are_refused_empty_too_long_or_not_compiling() {
    assert_eq!(parse_keyword(" card "), Ok(" card ".to_owned()), "kept as written");
    assert!(parse_keyword("  ").is_err());
    assert!(parse_keyword(&"k".repeat(MAX_KEYWORD_CHARS)).is_ok());
    assert!(parse_keyword(&"k".repeat(MAX_KEYWORD_CHARS + 1)).is_err());
    assert!(parse_keyword(&"é".repeat(MAX_KEYWORD_CHARS)).is_ok(), "characters, not bytes");
    assert_eq!(parse_pattern(r"\d{16}"), Ok(r"\d{16}".to_owned()));
    assert!(parse_pattern("").is_err());
    assert!(parse_pattern(&"a".repeat(MAX_PATTERN_CHARS)).is_ok());
    assert!(parse_pattern(&"a".repeat(MAX_PATTERN_CHARS + 1)).is_err());
    let broken = parse_pattern("(unclosed").err().map(|e| e.to_string()).unwrap_or_default();
    assert!(broken.starts_with("is not a valid regular expression"), "{broken}");
    assert!(parse_pattern(r"(\w+)\1").is_err(), "no backreferences: matching stays linear");
}

#[test]
fn a_policy_matches_something_and_at_most_so_many_things() {
    let mut policy = rule(1, "card");
    assert_eq!(rejection(validate(&policy)), None);
    policy.keywords.clear();
    assert_eq!(rejection(validate(&policy)), Some(PolicyRejection::NothingToMatch));
    policy.detectors = vec![crate::policies::model::Detector::Email];
    assert_eq!(rejection(validate(&policy)), None, "a detector alone is enough");
    policy.detectors.clear();
    policy.patterns = vec!["p".into()];
    assert_eq!(rejection(validate(&policy)), None, "a pattern alone is enough");
    policy.keywords = vec!["k".into(); MAX_MATCHERS / 2];
    policy.patterns = vec!["p".into(); MAX_MATCHERS / 2];
    assert_eq!(rejection(validate(&policy)), None, "exactly the cap");
    policy.patterns.push("one more".into());
    assert_eq!(rejection(validate(&policy)), Some(PolicyRejection::TooManyMatchers));
}

#[test]
fn the_workspace_s_matchers_are_counted_together_in_bytes() {
    let half = MAX_MATCHER_BYTES / 2;
    let existing = vec![rule(1, &"a".repeat(half))];
    assert_eq!(rejection(within_caps(&existing, &rule(2, &"b".repeat(half)))), None, "exactly the cap");
    assert_eq!(
        rejection(within_caps(&existing, &rule(2, &"b".repeat(half + 1)))),
        Some(PolicyRejection::WorkspaceMatchersTooLarge(MAX_MATCHER_BYTES + 1))
    );
    let mut with_pattern = rule(2, "b");
    with_pattern.patterns = vec!["c".repeat(half)];
    assert!(rejection(within_caps(&existing, &with_pattern)).is_some(), "patterns count too");
    // A policy replacing itself is not counted twice.
    assert_eq!(rejection(within_caps(&existing, &rule(1, &"a".repeat(MAX_MATCHER_BYTES)))), None);
}
