//! The tool loop inside a reply: which tools an agent may call, storing the calls an answer asks
//! for before any runs, running them (once: a call found `running` died with its run and is not
//! started again), pausing while a call awaits approval, and expiring undecided calls.

use serde_json::{json, Map, Value};

use super::*;
use crate::events::emit_quietly;
use crate::events::model::{ToolCallApprovalRequested, ToolCallCompleted, ToolCallFailed};
use crate::knowledge::retrieve::{as_tool_result, retrieve, CHUNKS_GIVEN};
use crate::model::{KnowledgeBaseId, Principal, PromptContent, Role};
use crate::ports::{DeliveryError, DueApproval, ToolSpec};
use crate::tools::call::{public_id, ToolCall, ToolCallStatus, ToolCallView};
use crate::tools::model::{
    ToolDef, DEFAULT_APPROVAL_EXPIRY_MINUTES, END_CONVERSATION, GET_CONTACT, HANDOFF_TO_HUMAN, SEARCH_KNOWLEDGE,
    TRANSFER,
};

/// Model answers with tool calls per reply; past it, the model answers with what it has.
pub const MAX_STEPS: usize = 5;
/// What is kept of a tool's answer, on the message and for the model.
pub const MAX_RESULT_CHARS: usize = 4_000;
/// Calls taken from one answer: the rest are dropped (one transaction holds an answer's calls,
/// and a model talked into calling a tool a hundred times should not).
pub const MAX_CALLS_PER_ANSWER: usize = 10;
/// Arguments larger than this are refused (the model is told); they are stored on the message.
pub const MAX_ARGUMENT_BYTES: usize = 16 * 1024;
/// A handoff holds the conversation for a person this long unless handed back.
const HANDOFF: crate::conversations::TakeoverMinutes = crate::conversations::TakeoverMinutes::LONGEST;
/// Time a tool call needs beyond its own time-out (storing its outcome).
const CALL_MARGIN: Duration = Duration::from_secs(2);

/// A tool an agent may call, and whether its calls wait for a person.
struct Available {
    name: String,
    /// `None` for a built-in.
    def: Option<ToolDef>,
    require_approval: bool,
}

pub(super) struct AgentTools {
    available: Vec<Available>,
    /// The knowledge bases `search_knowledge` searches.
    knowledge: Vec<crate::knowledge::model::KnowledgeBase>,
}

fn built_in_spec(name: &str) -> ToolSpec {
    match name {
        HANDOFF_TO_HUMAN | TRANSFER => ToolSpec {
            name: name.to_owned(),
            description:
                "Hand the conversation to a person from the business, when the contact asks for one or you cannot help."
                    .into(),
            parameters: json!({"type": "object", "properties": {"reason": {"type": "string", "description": "Why a person should take over"}}, "required": ["reason"]}),
        },
        SEARCH_KNOWLEDGE => ToolSpec {
            name: name.to_owned(),
            description: "Search the business's documents (its knowledge bases) for what the contact asks about. \
                          Returns the best passages, each with its source (document, section, page): answer from \
                          them and name the document."
                .into(),
            parameters: json!({"type": "object", "properties": {"query": {"type": "string", "description": "What to look for, in words the documents would use"}}, "required": ["query"]}),
        },
        GET_CONTACT => ToolSpec {
            name: name.to_owned(),
            description: "The contact's profile: their name (as WhatsApp shows it) and phone number.".into(),
            parameters: json!({"type": "object", "properties": {}}),
        },
        _ => ToolSpec {
            name: name.to_owned(),
            description: "Mark the conversation as done, when the contact's request is complete.".into(),
            parameters: json!({"type": "object", "properties": {}}),
        },
    }
}

impl AgentTools {
    /// The prompt's tools (with its `toolConfigs[name].requireApproval` overrides) and the agent's;
    /// `search_knowledge` over the knowledge bases the agent and the prompt name.
    pub(super) async fn of(
        ports: &ReplyPorts<'_>,
        cache: &AgentCache,
        agent: &Agent,
        prompt: &PromptContent,
    ) -> Result<Self, StoreError> {
        let mut names: Vec<&str> = prompt.tools.iter().map(|t| t.name.as_str()).collect();
        names.extend(agent.tools.iter().map(|t| t.name.as_str()));
        let mut bases: Vec<&KnowledgeBaseId> = agent.knowledge.bases.iter().collect();
        bases.extend(prompt.knowledge_bases.iter().filter(|id| !agent.knowledge.bases.contains(id)));
        let knowledge = cache.knowledge_bases(ports, &agent.workspace_id, &bases).await?;
        if !bases.is_empty() {
            names.push(SEARCH_KNOWLEDGE);
        }
        let mut available: Vec<Available> = Vec::new();
        for name in names {
            if available.iter().any(|a| a.name == name) {
                continue;
            }
            let overridden =
                prompt.tool_configs.get(name).and_then(|c| c.get("requireApproval")).and_then(Value::as_bool);
            if crate::tools::model::BUILT_IN.contains(&name) {
                let require_approval = overridden.unwrap_or(false);
                available.push(Available { name: name.to_owned(), def: None, require_approval });
                continue;
            }
            // A tool deleted since the prompt named it is simply not offered.
            if let Some(def) = cache.tool(ports, &agent.workspace_id, name).await? {
                let require_approval = overridden.unwrap_or(def.require_approval);
                available.push(Available { name: name.to_owned(), def: Some(def), require_approval });
            }
        }
        Ok(Self { available, knowledge })
    }

    /// The agent's knowledge bases (those that still exist).
    pub(super) fn knowledge(&self) -> &[crate::knowledge::model::KnowledgeBase] {
        &self.knowledge
    }

    pub(super) fn specs(&self) -> Vec<ToolSpec> {
        self.available
            .iter()
            .map(|a| match &a.def {
                Some(def) => ToolSpec {
                    name: def.name.clone(),
                    description: def.description.clone(),
                    parameters: Value::Object(def.parameters.clone()),
                },
                None => built_in_spec(&a.name),
            })
            .collect()
    }

    fn get(&self, name: &str) -> Option<&Available> {
        self.available.iter().find(|a| a.name == name)
    }
}

/// Model answers with tool calls since the last reply.
pub(super) fn steps_taken(since_reply: &[Message]) -> usize {
    let mut batches: Vec<&str> =
        since_reply.iter().filter_map(|m| m.tool_call.as_ref()).map(|c| c.batch.as_str()).collect();
    batches.dedup();
    batches.len()
}

/// Checking the model's arguments against a tenant's schema runs on the blocking pool within
/// this budget: no schema holds up the other conversations on the async worker.
const ARGUMENT_CHECK_BUDGET: std::time::Duration = std::time::Duration::from_secs(1);

/// The arguments as the tool gets them, or why the call cannot run.
async fn checked_arguments(available: &Available, written: &str) -> Result<Value, String> {
    if written.len() > MAX_ARGUMENT_BYTES {
        return Err(format!("the arguments are larger than {MAX_ARGUMENT_BYTES} bytes"));
    }
    let (schema, fixed) = match &available.def {
        Some(def) => (Value::Object(def.parameters.clone()), def.arguments.clone()),
        None => (built_in_spec(&available.name).parameters, Map::new()),
    };
    let written = written.to_owned();
    let check = tokio::task::spawn_blocking(move || validated(&schema, fixed, &written));
    match tokio::time::timeout(ARGUMENT_CHECK_BUDGET, check).await {
        Ok(Ok(checked)) => checked,
        Ok(Err(_)) => Err("the arguments could not be checked".into()),
        Err(_) => Err(format!("checking the arguments took longer than {} ms", ARGUMENT_CHECK_BUDGET.as_millis())),
    }
}

fn validated(schema: &Value, fixed: Map<String, Value>, written: &str) -> Result<Value, String> {
    let Ok(Value::Object(mut arguments)) = serde_json::from_str::<Value>(written) else {
        return Err("the arguments are not a JSON object".into());
    };
    arguments.extend(fixed);
    let arguments = Value::Object(arguments);
    let validator = crate::tools::model::argument_validator(schema)
        .map_err(|err| format!("the tool's schema is unusable: {err}"))?;
    let errors: Vec<String> = validator.iter_errors(&arguments).take(3).map(|e| e.to_string()).collect();
    if errors.is_empty() {
        Ok(arguments)
    } else {
        Err(format!("invalid arguments: {}", errors.join("; ")))
    }
}

/// Stores the calls an answer asks for, before any runs: each `approved`, `pending_approval`
/// (watched until it expires) or `failed` (an unknown tool, invalid arguments: the model is told).
pub(super) async fn record(
    ports: &ReplyPorts<'_>,
    conversation: &Conversation,
    agent: &Agent,
    tools: &AgentTools,
    answer: &ChatReply,
    discarded: Tokens,
) -> Result<(), StoreError> {
    let now = ports.clock.now();
    let mut calls = Vec::new();
    let mut watches = Vec::new();
    let mut batch = None;
    if answer.tool_calls.len() > MAX_CALLS_PER_ANSWER {
        tracing::warn!(conversation = %conversation.id, asked = answer.tool_calls.len(), "more tool calls than allowed in one answer; the first are kept");
    }
    for request in answer.tool_calls.iter().take(MAX_CALLS_PER_ANSWER) {
        let mut message =
            Message::new(&conversation.id, Direction::Tool, MessageKind::ToolCall, DeliveryStatus::Received, now);
        let batch_id = batch.get_or_insert_with(|| message.id.to_string()).clone();
        let mut call = ToolCall {
            call_id: request.id.clone(),
            batch: batch_id,
            tool: request.name.clone(),
            arguments: request.arguments.chars().take(MAX_ARGUMENT_BYTES).collect(),
            url: None,
            status: ToolCallStatus::Approved,
            assistant_text: (calls.is_empty() && !answer.text.trim().is_empty()).then(|| answer.text.clone()),
            decided_by: None,
            reason: None,
            result: None,
            error: None,
            latency_ms: None,
            expires_at: None,
        };
        match tools.get(&request.name) {
            None => {
                call.status = ToolCallStatus::Failed;
                call.error = Some(format!("no tool called `{}` is available", request.name));
            }
            Some(available) => match checked_arguments(available, &request.arguments).await {
                Err(why) => {
                    call.status = ToolCallStatus::Failed;
                    call.error = Some(why);
                }
                Ok(arguments) => {
                    call.arguments = arguments.to_string();
                    call.url = available.def.as_ref().map(|def| def.url.clone());
                    if available.require_approval {
                        let minutes = available
                            .def
                            .as_ref()
                            .map_or(DEFAULT_APPROVAL_EXPIRY_MINUTES, |d| d.approval_expiry_minutes);
                        let expires_at = now + time::Duration::minutes(i64::from(minutes));
                        call.status = ToolCallStatus::PendingApproval;
                        call.expires_at = Some(expires_at);
                        watches.push(DueApproval {
                            workspace_id: conversation.workspace_id.clone(),
                            conversation_id: conversation.id.clone(),
                            message_id: message.id.clone(),
                            expires_at,
                        });
                    }
                }
            },
        }
        message.tool_call = Some(call);
        calls.push(message);
    }
    let mut updated = conversation.revised(now);
    let mut usage = usage_of(conversation, &agent.id, answer, now);
    usage.tokens.add(discarded);
    updated.spent(&usage.tokens);
    ports.tool_calls.save_tool_calls(&updated, conversation.revision, &calls, &watches, &usage).await?;
    for message in &calls {
        if let Some(call) = message.tool_call.as_ref().filter(|c| c.status == ToolCallStatus::PendingApproval) {
            let event = ToolCallApprovalRequested { tool_call: ToolCallView::new(message, call) };
            emit_quietly(&ports.events, &conversation.workspace_id, &conversation.id, &event).await;
        }
    }
    tracing::info!(conversation = %conversation.id, calls = calls.len(), "tool calls stored");
    Ok(())
}

pub(super) enum Advance {
    /// Every call since the last reply is settled: the model may go on.
    Ready,
    /// A call ran, failed or expired: read the conversation again.
    Changed,
    /// A call awaits a person's decision: nothing more happens until it is decided or expires.
    Paused,
}

/// Moves the calls since the last reply forward: runs approved ones, ends interrupted ones,
/// expires undecided ones whose time ran out.
pub(super) async fn advance(
    ports: &ReplyPorts<'_>,
    conversation: &Conversation,
    agent: &Agent,
    tools: &AgentTools,
    since_reply: &[Message],
    deadline: Deadline,
) -> Result<Advance, RetryLater> {
    let now = ports.clock.now();
    let mut paused = false;
    for message in since_reply.iter().filter(|m| m.direction == Direction::Tool) {
        let Some(call) = &message.tool_call else { continue };
        match call.status {
            ToolCallStatus::PendingApproval if call.expired_by(now).is_some() => {
                let mut expired = call.clone();
                expired.status = ToolCallStatus::Expired;
                settle(ports, conversation, message, expired, ToolCallStatus::PendingApproval).await?;
                return Ok(Advance::Changed);
            }
            ToolCallStatus::PendingApproval => paused = true,
            ToolCallStatus::Running => {
                let mut interrupted = call.clone();
                interrupted.status = ToolCallStatus::Failed;
                interrupted.error =
                    Some("interrupted: the call may or may not have reached the tool, and is not repeated".into());
                settle(ports, conversation, message, interrupted, ToolCallStatus::Running).await?;
                return Ok(Advance::Changed);
            }
            ToolCallStatus::Approved => {
                run(ports, conversation, agent, tools, message, call, deadline).await?;
                return Ok(Advance::Changed);
            }
            _ => {}
        }
    }
    Ok(if paused { Advance::Paused } else { Advance::Ready })
}

/// Stores a call's outcome if it is still as expected, ends its watch and tells the workspace.
pub(crate) async fn settle(
    ports: &ReplyPorts<'_>,
    conversation: &Conversation,
    message: &Message,
    call: ToolCall,
    expected: ToolCallStatus,
) -> Result<(), RetryLater> {
    let mut settled = message.clone();
    settled.tool_call = Some(call.clone());
    match ports.tool_calls.update_tool_call(&settled, expected).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => return Ok(()),
        Err(err) => return Err(err.into()),
    }
    if expected == ToolCallStatus::PendingApproval {
        ports.tool_calls.end_approval_watch(&conversation.workspace_id, &conversation.id, &message.id).await?;
    }
    let view = ToolCallView::new(&settled, &call);
    if call.status == ToolCallStatus::Succeeded {
        emit_quietly(
            &ports.events,
            &conversation.workspace_id,
            &conversation.id,
            &ToolCallCompleted { tool_call: view },
        )
        .await;
    } else if call.status.is_settled() {
        emit_quietly(&ports.events, &conversation.workspace_id, &conversation.id, &ToolCallFailed { tool_call: view })
            .await;
    }
    Ok(())
}

/// Runs an approved call once: marked `running` first, so that a run that dies mid-call leaves a
/// mark the next run ends instead of calling again.
async fn run(
    ports: &ReplyPorts<'_>,
    conversation: &Conversation,
    agent: &Agent,
    tools: &AgentTools,
    message: &Message,
    call: &ToolCall,
    deadline: Deadline,
) -> Result<(), RetryLater> {
    let available = tools.get(&call.tool);
    let timeout =
        Duration::from_secs(u64::from(available.and_then(|a| a.def.as_ref()).map_or(5, |d| d.timeout_seconds)));
    if !deadline.leaves(timeout + CALL_MARGIN) {
        return Err(RetryLater::Busy("not enough time left in this invocation for the tool call".into()));
    }
    let mut running = call.clone();
    running.status = ToolCallStatus::Running;
    let mut marked = message.clone();
    marked.tool_call = Some(running.clone());
    match ports.tool_calls.update_tool_call(&marked, ToolCallStatus::Approved).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => return Ok(()),
        Err(err) => return Err(err.into()),
    }
    let started = std::time::Instant::now();
    let outcome = match available {
        None => Err(format!("the tool `{}` is no longer available to this agent", call.tool)),
        Some(Available { def: None, name, .. }) => built_in(ports, conversation, tools, name, &call.arguments).await,
        Some(Available { def: Some(def), .. }) => post(ports, conversation, message, call, def, timeout).await,
    };
    let mut done = running;
    done.latency_ms = Some(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX));
    match outcome {
        Ok(result) => {
            done.status = ToolCallStatus::Succeeded;
            done.result = Some(result.chars().take(MAX_RESULT_CHARS).collect());
        }
        Err(why) => {
            done.status = ToolCallStatus::Failed;
            done.error = Some(why.chars().take(MAX_RESULT_CHARS).collect());
        }
    }
    tracing::info!(conversation = %conversation.id, agent = %agent.id, tool = %call.tool, status = done.status.as_str(), "tool call ran");
    ports.metrics.record(Measurement::tool_call(
        &conversation.workspace_id,
        done.status.as_str(),
        started.elapsed().as_millis(),
    ));
    settle(ports, conversation, &marked, done, ToolCallStatus::Running).await
}

/// POSTs the call to the tool, signed like outbound events, with the call's id as an
/// idempotency key for the receiver.
async fn post(
    ports: &ReplyPorts<'_>,
    conversation: &Conversation,
    message: &Message,
    call: &ToolCall,
    def: &ToolDef,
    timeout: Duration,
) -> Result<String, String> {
    let id = public_id(&conversation.id, &message.id);
    let arguments: Value = serde_json::from_str(&call.arguments).unwrap_or_else(|_| Value::Object(Map::new()));
    let body = json!({
        "id": id, "tool": def.name, "arguments": arguments,
        "conversationId": conversation.id, "workspaceId": conversation.workspace_id,
    })
    .to_string();
    let secret =
        ports.workspaces.get_workspace(&conversation.workspace_id).await.ok().flatten().and_then(|w| w.webhook_secret);
    let mut headers = vec![("x-colloquy-tool-call", id.clone()), ("x-colloquy-event", "tool_call".to_owned())];
    if let Some(secret) = secret {
        let timestamp = ports.clock.now().unix_timestamp();
        headers.push(("x-colloquy-signature", crate::events::model::signature(&secret, timestamp, &body)));
    }
    // Calls stored before calls kept their address go to the tool's current one.
    let url = call.url.as_deref().unwrap_or(&def.url);
    match ports.tool_http.call_tool(url, &headers, body, timeout).await {
        Ok((status, text)) if (200..300).contains(&status) => Ok(text),
        Ok((status, text)) => {
            Err(format!("the tool answered {status}: {}", text.chars().take(500).collect::<String>()))
        }
        Err(DeliveryError::TimedOut(waited)) => Err(format!("the tool did not answer within {} s", waited.as_secs())),
        Err(why) => Err(why.to_string()),
    }
}

async fn built_in(
    ports: &ReplyPorts<'_>,
    conversation: &Conversation,
    tools: &AgentTools,
    name: &str,
    arguments: &str,
) -> Result<String, String> {
    if name == SEARCH_KNOWLEDGE {
        let query = serde_json::from_str::<Value>(arguments).ok().and_then(|a| a["query"].as_str().map(str::to_owned));
        let Some(query) = query.filter(|q| !q.trim().is_empty()) else {
            return Err("`query` is required: what to look for".into());
        };
        let found = retrieve(ports.knowledge, ports.embedder, tools.knowledge(), &query, CHUNKS_GIVEN).await;
        return Ok(as_tool_result(&found, MAX_RESULT_CHARS));
    }
    let agent =
        Principal { workspace_id: conversation.workspace_id.clone(), role: Role::Write, key_prefix: "agent".into() };
    let failed = |err: crate::AppError| err.to_string();
    if name == END_CONVERSATION {
        let done = crate::conversations::mark_done(ports.conversations, ports.clock, &agent, &conversation.id)
            .await
            .map_err(failed)?;
        crate::analysis::after_done(&ports.analysis, &done).await;
        return Ok("The conversation is marked done.".into());
    }
    if name == GET_CONTACT {
        let contact = conversation.contact();
        let profile = json!({
            "name": contact.and_then(|c| c.name.clone()),
            "phoneNumber": contact.map(|c| c.phone_number.clone()),
            "channel": conversation.channel.kind(),
        });
        return Ok(profile.to_string());
    }
    let reason = serde_json::from_str::<Value>(arguments).ok().and_then(|a| a["reason"].as_str().map(str::to_owned));
    crate::conversations::take_over(&ports.conversation, &agent, &conversation.id, HANDOFF).await.map_err(failed)?;
    tracing::info!(conversation = %conversation.id, reason = reason.as_deref().unwrap_or(""), "the agent handed the conversation to a person");
    Ok("A person from the business has taken the conversation over.".into())
}
