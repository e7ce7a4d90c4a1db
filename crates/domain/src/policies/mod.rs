//! Policies: managed through the API; evaluated on input before anything is queued and on the
//! LLM's output before it is stored and sent. Every match is recorded as a violation.

pub mod model;
pub mod port;

use std::sync::Arc;
use std::time::Duration;

use crate::cached::CachedPolicies;
use crate::events::EventPorts;
use crate::model::cache::TtlCache;
use crate::model::values::OutOfRange;
use crate::model::{ConversationId, Page, PageRequest, PolicyId, Principal, WorkspaceId};
use crate::policies::model::{
    compile, masked_excerpt, Action, AppliesTo, CompiledPolicy, Detector, Flow, Policy, Violation,
};
use crate::ports::{Clock, PolicyStore};
use crate::AppError;

/// What evaluating policies uses: the compiled policies, and where violations' alerts go.
#[derive(Clone, Copy)]
pub struct PolicyPorts<'a> {
    pub policies: &'a CachedPolicies,
    pub events: EventPorts<'a>,
}

const CACHE_TTL: Duration = Duration::from_secs(30);
const MAX_MATCHERS: usize = 100;
/// Every message of the workspace is checked against all of its policies: these bound that work.
pub const MAX_POLICIES: usize = 50;
/// Keywords and patterns of all the workspace's policies together, in bytes.
pub const MAX_MATCHER_BYTES: usize = 64 * 1024;

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_KEYWORD_CHARS: usize = 200;
pub const MAX_PATTERN_CHARS: usize = 500;

/// A new policy, its values parsed (the API's `POST /api/v1/policies/` body).
#[derive(Debug)]
pub struct NewPolicy {
    pub name: String,
    pub keywords: Vec<String>,
    pub patterns: Vec<String>,
    pub detectors: Vec<Detector>,
    pub applies_to: AppliesTo,
    pub action: Action,
    pub enabled: bool,
}

/// A change of a policy: `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct PolicyChange {
    pub name: Option<String>,
    pub keywords: Option<Vec<String>>,
    pub patterns: Option<Vec<String>>,
    pub detectors: Option<Vec<Detector>>,
    pub applies_to: Option<AppliesTo>,
    pub action: Option<Action>,
    pub enabled: Option<bool>,
}

/// A keyword as a policy holds it: not empty, at most `MAX_KEYWORD_CHARS`.
pub fn parse_keyword(text: &str) -> Result<String, OutOfRange> {
    within_chars(text, MAX_KEYWORD_CHARS)?;
    Ok(text.to_owned())
}

/// A pattern as a policy holds it: a regular expression of at most `MAX_PATTERN_CHARS` that
/// compiles within the matcher's limits.
pub fn parse_pattern(text: &str) -> Result<String, OutOfRange> {
    within_chars(text, MAX_PATTERN_CHARS)?;
    compile(text).map_err(|err| OutOfRange::new(format!("is not a valid regular expression: {err}")))?;
    Ok(text.to_owned())
}

fn within_chars(text: &str, max: usize) -> Result<(), OutOfRange> {
    let length = text.trim().chars().count();
    if length == 0 {
        return Err(OutOfRange::new("must not be empty"));
    }
    if length > max {
        return Err(OutOfRange::new(format!("must be at most {max} characters (got {length})")));
    }
    Ok(())
}

/// Why a policy cannot be as asked: what it matches, alone or with the workspace's others.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyRejection {
    #[error("a policy needs at least one keyword, pattern or detector")]
    NothingToMatch,
    #[error("at most {MAX_MATCHERS} keywords and patterns")]
    TooManyMatchers,
    #[error(
        "the workspace's keywords and patterns together may be at most {MAX_MATCHER_BYTES} bytes (this would make {0})"
    )]
    WorkspaceMatchersTooLarge(usize),
}

impl From<PolicyRejection> for AppError {
    fn from(rejection: PolicyRejection) -> Self {
        Self::Rejected(rejection.into())
    }
}

fn validate(policy: &Policy) -> Result<(), AppError> {
    if policy.keywords.is_empty() && policy.patterns.is_empty() && policy.detectors.is_empty() {
        return Err(PolicyRejection::NothingToMatch.into());
    }
    if policy.keywords.len() + policy.patterns.len() > MAX_MATCHERS {
        return Err(PolicyRejection::TooManyMatchers.into());
    }
    Ok(())
}

fn matcher_bytes(policy: &Policy) -> usize {
    policy.keywords.iter().chain(&policy.patterns).map(String::len).sum()
}

/// The workspace's policies with `policy` added or replaced stay within the caps.
fn within_caps(existing: &[Policy], policy: &Policy) -> Result<(), AppError> {
    let others = existing.iter().filter(|p| p.id != policy.id);
    if others.clone().count() + 1 > MAX_POLICIES {
        return Err(AppError::Conflict(format!(
            "a workspace has at most {MAX_POLICIES} policies; delete or merge one before adding another"
        )));
    }
    let bytes = others.map(matcher_bytes).sum::<usize>() + matcher_bytes(policy);
    if bytes > MAX_MATCHER_BYTES {
        return Err(PolicyRejection::WorkspaceMatchersTooLarge(bytes).into());
    }
    Ok(())
}

pub async fn create_policy(
    policies: &dyn PolicyStore,
    clock: &dyn Clock,
    principal: &Principal,
    input: NewPolicy,
) -> Result<Policy, AppError> {
    let now = clock.now();
    let policy = Policy {
        revision: 0,
        id: PolicyId::generate(),
        workspace_id: principal.workspace_id.clone(),
        name: input.name,
        keywords: input.keywords,
        patterns: input.patterns,
        detectors: input.detectors,
        applies_to: input.applies_to,
        action: input.action,
        enabled: input.enabled,
        created_at: now,
        updated_at: now,
    };
    validate(&policy)?;
    within_caps(&all_policies(policies, &principal.workspace_id).await?, &policy)?;
    policies.put_policy(&policy, None).await?;
    Ok(policy)
}

pub async fn get_policy(
    policies: &dyn PolicyStore,
    principal: &Principal,
    policy_id: &PolicyId,
) -> Result<Policy, AppError> {
    policies
        .get_policy(&principal.workspace_id, policy_id)
        .await?
        .ok_or_else(|| AppError::not_found(&format!("policy `{policy_id}`")))
}

pub async fn list_policies(
    policies: &dyn PolicyStore,
    principal: &Principal,
    page: &PageRequest,
) -> Result<Page<Policy>, AppError> {
    Ok(policies.list_policies(&principal.workspace_id, page).await?)
}

pub async fn change_policy(
    policies: &dyn PolicyStore,
    clock: &dyn Clock,
    principal: &Principal,
    policy_id: &PolicyId,
    change: PolicyChange,
) -> Result<Policy, AppError> {
    let mut retries = crate::optimistic::Retries::new("the policy");
    loop {
        retries.another().await?;
        let current = get_policy(policies, principal, policy_id).await?;
        let changed = changed_policy(policies, clock, principal, current.clone(), change.clone()).await?;
        match policies.put_policy(&changed, Some(current.revision)).await {
            Ok(()) => return Ok(changed),
            // Another change came first (or the policy was deleted): the next read tells.
            Err(crate::ports::StoreError::Conflict(_)) => continue,
            Err(err) => return Err(err.into()),
        }
    }
}

async fn changed_policy(
    policies: &dyn PolicyStore,
    clock: &dyn Clock,
    principal: &Principal,
    mut policy: Policy,
    change: PolicyChange,
) -> Result<Policy, AppError> {
    policy.name = change.name.unwrap_or(policy.name);
    policy.keywords = change.keywords.unwrap_or(policy.keywords);
    policy.patterns = change.patterns.unwrap_or(policy.patterns);
    policy.detectors = change.detectors.unwrap_or(policy.detectors);
    policy.applies_to = change.applies_to.unwrap_or(policy.applies_to);
    policy.action = change.action.unwrap_or(policy.action);
    policy.enabled = change.enabled.unwrap_or(policy.enabled);
    policy.updated_at = clock.now();
    policy.revision += 1;
    validate(&policy)?;
    within_caps(&all_policies(policies, &principal.workspace_id).await?, &policy)?;
    Ok(policy)
}

pub async fn delete_policy(
    policies: &dyn PolicyStore,
    principal: &Principal,
    policy_id: &PolicyId,
) -> Result<(), AppError> {
    if !policies.delete_policy(&principal.workspace_id, policy_id).await? {
        return Err(AppError::not_found(&format!("policy `{policy_id}`")));
    }
    Ok(())
}

pub async fn list_violations(
    policies: &dyn PolicyStore,
    principal: &Principal,
    page: &PageRequest,
) -> Result<Page<Violation>, AppError> {
    Ok(policies.list_violations(&principal.workspace_id, page).await?)
}

/// A workspace's policies, compiled, cached per container for half a minute. A reload that
/// finds the same policies (ids and change times) keeps the compiled set: patterns are compiled
/// once per change of the set, never per message.
#[derive(Default)]
pub struct PolicyCache(TtlCache<WorkspaceId, Arc<PolicySet>>);

/// Compiled policies and what they were compiled from.
pub struct PolicySet {
    revision: Vec<(PolicyId, time::OffsetDateTime)>,
    pub policies: Vec<CompiledPolicy>,
}

impl PolicyCache {
    pub(crate) async fn get(
        &self,
        store: &dyn PolicyStore,
        workspace_id: &WorkspaceId,
    ) -> Result<Arc<PolicySet>, AppError> {
        let key = workspace_id.clone();
        if let Some(set) = self.0.fresh(&key, CACHE_TTL) {
            return Ok(set);
        }
        let stored = all_policies(store, workspace_id).await?;
        let revision: Vec<_> = stored.iter().map(|p| (p.id.clone(), p.updated_at)).collect();
        if let Some(set) = self.0.any_age(&key).filter(|set| set.revision == revision) {
            self.0.insert(key, set.clone());
            return Ok(set);
        }
        let mut policies = Vec::with_capacity(stored.len());
        for policy in stored {
            match CompiledPolicy::new(policy) {
                Ok(compiled) => policies.push(compiled),
                // Validated on write with the same limits: only a change of limits gets here.
                Err(err) => return Err(AppError::Internal(format!("a stored policy does not compile: {err}"))),
            }
        }
        let set = Arc::new(PolicySet { revision, policies });
        self.0.insert(key, set.clone());
        Ok(set)
    }

    /// A change in this container applies at once.
    pub fn forget(&self, workspace_id: &WorkspaceId) {
        self.0.remove(workspace_id);
    }
}

/// Every policy of the workspace, page after page: none is ever left out.
async fn all_policies(store: &dyn PolicyStore, workspace_id: &WorkspaceId) -> Result<Vec<Policy>, AppError> {
    let mut all = Vec::new();
    let mut cursor = None;
    loop {
        let page = PageRequest { limit: crate::model::page::MAX_LIMIT, cursor };
        let page = store.list_policies(workspace_id, &page).await?;
        all.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(all),
        }
    }
}

/// What the policies say of a text.
#[derive(Debug, Default)]
pub struct Verdict {
    /// The first blocking policy that matched.
    pub blocked_by: Option<String>,
    pub violations: Vec<Violation>,
}

/// Evaluates every enabled policy for this flow, records the violations, and says whether one blocks.
pub async fn evaluate(
    ports: &PolicyPorts<'_>,
    workspace_id: &WorkspaceId,
    conversation_id: &ConversationId,
    flow: Flow,
    text: &str,
) -> Result<Verdict, AppError> {
    let verdict = check(ports, workspace_id, conversation_id, flow, text).await?;
    record(ports, workspace_id, conversation_id, &verdict).await?;
    Ok(verdict)
}

/// What the policies say of a text, recorded nowhere yet: an inbound message records its
/// violations only once its wamid is claimed, so a redelivery records nothing twice.
pub async fn check(
    ports: &PolicyPorts<'_>,
    workspace_id: &WorkspaceId,
    conversation_id: &ConversationId,
    flow: Flow,
    text: &str,
) -> Result<Verdict, AppError> {
    let (sets, store) = ports.policies.compiled();
    check_with(sets, store, ports.events.clock.now(), workspace_id, conversation_id, flow, text).await
}

/// `check` on the policies `store` keeps, compiled through `policies`, at `now`.
async fn check_with(
    policies: &PolicyCache,
    store: &dyn PolicyStore,
    now: time::OffsetDateTime,
    workspace_id: &WorkspaceId,
    conversation_id: &ConversationId,
    flow: Flow,
    text: &str,
) -> Result<Verdict, AppError> {
    let set = policies.get(store, workspace_id).await?;
    let mut verdict = Verdict::default();
    for compiled in set.policies.iter().filter(|p| p.policy.applies(flow)) {
        let Some(range) = compiled.first_match(text) else { continue };
        let policy = &compiled.policy;
        if policy.action == Action::Block && verdict.blocked_by.is_none() {
            verdict.blocked_by = Some(policy.name.clone());
        }
        if policy.action == Action::Alert {
            tracing::warn!(workspace = %workspace_id, policy = %policy.name, conversation = %conversation_id, ?flow, "policy alert");
        }
        verdict.violations.push(Violation {
            id: crate::model::ids::new_id(),
            workspace_id: workspace_id.to_owned(),
            policy_id: policy.id.clone(),
            policy_name: policy.name.clone(),
            flow,
            action: policy.action,
            conversation_id: conversation_id.to_owned(),
            excerpt: masked_excerpt(text, range),
            created_at: now,
        });
    }
    Ok(verdict)
}

/// Stores the violations and sends an event for each alert.
pub async fn record(
    ports: &PolicyPorts<'_>,
    workspace_id: &WorkspaceId,
    conversation_id: &ConversationId,
    verdict: &Verdict,
) -> Result<(), AppError> {
    ports.policies.record_violations(&verdict.violations).await?;
    for violation in verdict.violations.iter().filter(|v| v.action == Action::Alert) {
        let event = crate::events::model::PolicyViolated {
            violation_id: violation.id.clone(),
            policy_id: violation.policy_id.clone(),
            policy_name: violation.policy_name.clone(),
            direction: violation.flow,
            excerpt: violation.excerpt.clone(),
        };
        crate::events::emit_quietly(&ports.events, workspace_id, conversation_id, &event).await;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
