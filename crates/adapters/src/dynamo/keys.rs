//! The table's key layout, in one place. PK/SK strings are built only here.

pub const PK: &str = "PK";
pub const SK: &str = "SK";

pub fn workspace_pk(workspace_id: &str) -> String {
    format!("WS#{workspace_id}")
}

pub fn workspace(workspace_id: &str) -> (String, String) {
    (workspace_pk(workspace_id), "META".to_owned())
}

/// The key by its hash: what authentication reads.
pub fn api_key_by_hash(hash: &str) -> (String, String) {
    (format!("KEY#{hash}"), "KEY".to_owned())
}

pub const API_KEY_LISTING: &str = "APIKEY#";

/// A console session, by the hash of its secret.
pub fn console_session(secret_hash: &str) -> (String, String) {
    (format!("SESSION#{secret_hash}"), "SESSION".to_owned())
}

/// The key in its workspace's partition: what listing and revoking read.
pub fn api_key_listing(workspace_id: &str, prefix: &str) -> (String, String) {
    (workspace_pk(workspace_id), format!("{API_KEY_LISTING}{prefix}"))
}

pub const PROMPT: &str = "PROMPT#";

pub fn prompt(workspace_id: &str, prompt_id: &str) -> (String, String) {
    (workspace_pk(workspace_id), format!("{PROMPT}{prompt_id}"))
}

/// Names are unique in a workspace: this item holds the name, conditionally.
pub fn prompt_name(workspace_id: &str, name: &str) -> (String, String) {
    (workspace_pk(workspace_id), format!("PROMPTNAME#{name}"))
}

pub fn prompt_versions_pk(prompt_id: &str) -> String {
    format!("PROMPT#{prompt_id}")
}

pub const PROMPT_VERSION: &str = "V#";

/// Zero-padded so that versions sort by number.
pub fn prompt_version(prompt_id: &str, version: u32) -> (String, String) {
    (prompt_versions_pk(prompt_id), format!("{PROMPT_VERSION}{version:06}"))
}

/// The global claim of a business number: one workspace holds it.
pub fn number(phone_number_id: &str) -> (String, String) {
    (format!("WANUM#{phone_number_id}"), "META".to_owned())
}

pub const NUMBER_LISTING: &str = "WANUM#";

pub fn number_listing(workspace_id: &str, phone_number_id: &str) -> (String, String) {
    (workspace_pk(workspace_id), format!("{NUMBER_LISTING}{phone_number_id}"))
}

pub const AGENT: &str = "AGENT#";

pub fn agent(workspace_id: &str, agent_id: &str) -> (String, String) {
    (workspace_pk(workspace_id), format!("{AGENT}{agent_id}"))
}

pub const CONVERSATION: &str = "CONV#";
pub const CONVERSATION_STATE: &str = "STATE#";

/// A conversation lives in its own partition, above its messages (`STATE#` sorts after `MSG#`),
/// so one Query reads it with its recent history. The workspace is in the sort key: reading one
/// by id is tenant-checked by key.
pub fn conversation(workspace_id: &str, conversation_id: &str) -> (String, String) {
    (messages_pk(conversation_id), format!("{CONVERSATION_STATE}{workspace_id}"))
}

/// The workspace and conversation a conversation item's key names.
pub fn parse_conversation<'a>(pk: &'a str, sk: &'a str) -> Option<(&'a str, &'a str)> {
    Some((sk.strip_prefix(CONVERSATION_STATE)?, pk.strip_prefix(CONVERSATION)?))
}

/// The workspace's entry for a conversation (its id only), in creation order: what listing a
/// workspace's conversations reads before fetching them.
pub fn conversation_listing(workspace_id: &str, conversation_id: &str) -> (String, String) {
    (workspace_pk(workspace_id), format!("{CONVERSATION}{conversation_id}"))
}

/// One conversation per (workspace, business number, contact). The workspace is part of the
/// claim: when a number moves to another workspace, the old workspace's conversations stay its
/// own and the new owner's start fresh.
pub fn conversation_key(workspace_id: &str, phone_number_id: &str, wa_id: &str) -> (String, String) {
    (format!("CONVKEY#{workspace_id}#{phone_number_id}#{wa_id}"), "KEY".to_owned())
}

/// A contact's conversations in a workspace, on any number: what export and erasure read.
pub fn contact_pk(workspace_id: &str, wa_id: &str) -> String {
    format!("CONTACT#{workspace_id}#{wa_id}")
}

pub fn contact_conversation(workspace_id: &str, wa_id: &str, conversation_id: &str) -> (String, String) {
    (contact_pk(workspace_id, wa_id), format!("{CONVERSATION}{conversation_id}"))
}

/// The contact was erased (when): a redelivered older message must not bring them back.
pub fn contact_erasure(workspace_id: &str, wa_id: &str) -> (String, String) {
    (contact_pk(workspace_id, wa_id), "ERASED".to_owned())
}

pub fn messages_pk(conversation_id: &str) -> String {
    format!("CONV#{conversation_id}")
}

pub const MESSAGE: &str = "MSG#";

pub fn message(conversation_id: &str, message_id: &str) -> (String, String) {
    (messages_pk(conversation_id), format!("{MESSAGE}{message_id}"))
}

/// Claimed by the first delivery of an inbound wamid: Meta's redeliveries find it taken.
pub fn inbound_wamid(wamid: &str) -> (String, String) {
    (format!("WAMID#{wamid}"), "IN".to_owned())
}

/// Points an outbound wamid at its message, for status webhooks.
pub fn outbound_wamid(wamid: &str) -> (String, String) {
    (format!("WAMID#{wamid}"), "OUT".to_owned())
}

/// The sparse follow-up index: only conversations with a follow-up due carry these.
pub const FOLLOW_UP_INDEX: &str = "FollowUpsDue";
pub const GSI1PK: &str = "GSI1PK";
pub const GSI1SK: &str = "GSI1SK";
/// Due follow-ups spread over this many index partitions, so that no one partition gets hot.
pub const FOLLOW_UP_SHARDS: u32 = 4;

pub fn follow_up_shard(conversation_id: &str) -> u32 {
    conversation_id.bytes().fold(0u32, |acc, b| acc.wrapping_mul(31).wrapping_add(u32::from(b))) % FOLLOW_UP_SHARDS
}

pub fn follow_up_partition(shard: u32) -> String {
    format!("FOLLOWUP#{shard}")
}

/// `<due time, ISO 8601>#<attempt>`: sorts by due time.
pub fn follow_up_sort(due_iso: &str, attempt: u32) -> String {
    format!("{due_iso}#{attempt}")
}

/// The sparse index of work due at a time: conversations with an analysis due after a silence
/// (`ANALYSIS#<shard>`), tool calls awaiting approval until they expire (`APPROVAL#<shard>`).
pub const SCHEDULED_INDEX: &str = "ScheduledWork";
pub const GSI2PK: &str = "GSI2PK";
pub const GSI2SK: &str = "GSI2SK";

/// Conversations by workspace and last activity (`<updated at, ISO 8601>#<conversation id>`).
pub const ACTIVITY_INDEX: &str = "Activity";
pub const GSI3PK: &str = "GSI3PK";
pub const GSI3SK: &str = "GSI3SK";

pub fn activity_partition(workspace_id: &str) -> String {
    format!("ACTIVITY#{workspace_id}")
}

pub fn activity_sort(updated_at_iso: &str, conversation_id: &str) -> String {
    format!("{updated_at_iso}#{conversation_id}")
}

pub fn analysis_partition(shard: u32) -> String {
    format!("ANALYSIS#{shard}")
}

pub fn approval_partition(shard: u32) -> String {
    format!("APPROVAL#{shard}")
}

pub const APPROVAL_WATCH: &str = "APPROVAL#";

/// The item that watches a tool call awaiting approval, so that it expires on time. Its key
/// names the conversation and the message: the index projects keys only.
pub fn approval_watch(workspace_id: &str, conversation_id: &str, message_id: &str) -> (String, String) {
    (workspace_pk(workspace_id), format!("{APPROVAL_WATCH}{conversation_id}#{message_id}"))
}

pub const USAGE_DAY: &str = "USAGE#";
pub const USAGE_AGENT: &str = "USAGEAGENT#";

/// A workspace's counters for a day.
pub fn usage_day(workspace_id: &str, day: &str) -> (String, String) {
    (workspace_pk(workspace_id), format!("{USAGE_DAY}{day}"))
}

/// An agent's counters for a day; day first, so that a date range is one key range.
pub fn usage_agent(workspace_id: &str, day: &str, agent_id: &str) -> (String, String) {
    (workspace_pk(workspace_id), format!("{USAGE_AGENT}{day}#{agent_id}"))
}

pub const POLICY: &str = "POLICY#";

pub fn policy(workspace_id: &str, policy_id: &str) -> (String, String) {
    (workspace_pk(workspace_id), format!("{POLICY}{policy_id}"))
}

pub const TEST_SUITE: &str = "SUITE#";

pub fn test_suite(workspace_id: &str, id: &str) -> (String, String) {
    (workspace_pk(workspace_id), format!("{TEST_SUITE}{id}"))
}

/// A suite's run that passed on a prompt's version (what a label that requires the suite checks).
pub fn passed_run(workspace_id: &str, suite: &str, prompt: &str, version: u32) -> (String, String) {
    (workspace_pk(workspace_id), format!("SUITEPASS#{suite}#{prompt}#{version}"))
}

pub const TEST_RUN: &str = "TESTRUN#";

/// A run; its scenarios' results sort right after it (`test_run_result`), so one Query reads both.
pub fn test_run(workspace_id: &str, id: &str) -> (String, String) {
    (workspace_pk(workspace_id), format!("{TEST_RUN}{id}"))
}

pub fn test_run_result(workspace_id: &str, run: &str, index: u32) -> (String, String) {
    (workspace_pk(workspace_id), format!("{TEST_RUN}{run}#SCN#{index:05}"))
}

pub const KNOWLEDGE_BASE: &str = "KB#";

pub fn knowledge_base(workspace_id: &str, id: &str) -> (String, String) {
    (workspace_pk(workspace_id), format!("{KNOWLEDGE_BASE}{id}"))
}

pub const DOCUMENT: &str = "DOC#";

/// A knowledge base's documents are a partition of their own, oldest first.
pub fn documents_pk(workspace_id: &str, knowledge_base_id: &str) -> String {
    format!("KBDOCS#{workspace_id}#{knowledge_base_id}")
}

pub fn document(workspace_id: &str, knowledge_base_id: &str, id: &str) -> (String, String) {
    (documents_pk(workspace_id, knowledge_base_id), format!("{DOCUMENT}{id}"))
}

pub const TOOL: &str = "TOOL#";

pub fn tool(workspace_id: &str, tool_id: &str) -> (String, String) {
    (workspace_pk(workspace_id), format!("{TOOL}{tool_id}"))
}

/// The item that reserves a tool's name in its workspace.
pub fn tool_name(workspace_id: &str, name: &str) -> (String, String) {
    (workspace_pk(workspace_id), format!("TOOLNAME#{name}"))
}

pub const VIOLATION: &str = "VIOL#";

/// Violations sort by their time-ordered ids.
pub fn violation(workspace_id: &str, violation_id: &str) -> (String, String) {
    (workspace_pk(workspace_id), format!("{VIOLATION}{violation_id}"))
}

pub const EVENT: &str = "EVT#";

/// An outbound event and its delivery log, kept a week (`expiresAt`); they sort by their
/// time-ordered ids.
pub fn event(workspace_id: &str, event_id: &str) -> (String, String) {
    (workspace_pk(workspace_id), format!("{EVENT}{event_id}"))
}

/// A workspace's request counts in one minute (minutes since the Unix epoch): the workspace's
/// total and each key's, in one item, so one conditional update counts both.
pub fn rate_window(workspace_id: &str, minute: i64) -> (String, String) {
    (format!("RATE#{workspace_id}"), format!("MIN#{minute}"))
}

/// The partition that lists the workspaces with a retention, one item each.
pub const RETENTION: &str = "RETENTION";
pub const WORKSPACE_PREFIX: &str = "WS#";

pub fn retention(workspace_id: &str) -> (String, String) {
    (RETENTION.to_owned(), format!("{WORKSPACE_PREFIX}{workspace_id}"))
}

pub const AUDIT: &str = "AUDIT#";

/// A workspace's audit entries sort by their time-ordered ids.
pub fn audit(workspace_id: &str, id: &str) -> (String, String) {
    (workspace_pk(workspace_id), format!("{AUDIT}{id}"))
}

pub const DEAD_LETTER: &str = "DEAD#";

/// A workspace's dead letters sort by their time-ordered ids.
pub fn dead_letter(workspace_id: &str, id: &str) -> (String, String) {
    (workspace_pk(workspace_id), format!("{DEAD_LETTER}{id}"))
}

/// That a trigger queue message was recorded as a dead letter: the worker and the dead-letter
/// recorder may both see it.
pub fn dead_message(message_id: &str) -> (String, String) {
    (format!("DEADMSG#{message_id}"), "DEADMSG".to_owned())
}
