//! Think: the model writes the answer to what is unanswered, with the agent's tools (a call is
//! recorded, and the run goes round again once it is settled), and the output policies check it.

use super::*;
use crate::model::WorkspaceId;

/// What the model is asked with.
pub(super) struct Thinking<'a> {
    pub loaded: &'a Loaded,
    pub agent: &'a Agent,
    pub prompt: &'a SystemPrompt,
    pub tools: &'a tools::AgentTools,
    pub deadline: Deadline,
}

pub(super) enum Thought {
    /// The answer to store, checked by the output policies, and the prompt it was written with.
    Answer(ChatReply, Option<PromptUsed>),
    /// The model called tools: the calls are stored; read the conversation again.
    ToolCallsRecorded,
    /// The calls' write was lost to another change: read the conversation again.
    Again,
    /// Nothing can be answered (recorded on the conversation).
    Stop,
}

pub(super) async fn think(
    ports: &ReplyPorts<'_>,
    thinking: Thinking<'_>,
    run: &mut Run,
) -> Result<Thought, RetryLater> {
    let Thinking { loaded, agent, prompt, tools: agent_tools, deadline } = thinking;
    let conversation = &loaded.conversation;
    let since_reply = loaded.unanswered();
    let steps = tools::steps_taken(since_reply);
    let newest = loaded.newest();
    match run.draft.take() {
        // Nothing new since it was written, or it was rewritten enough: send it.
        Some((answer, seen, used)) if seen == newest || run.redos >= MAX_REDOS => {
            return Ok(Thought::Answer(answer, used))
        }
        Some((thrown_away, _, _)) => {
            run.redos += 1;
            run.discarded.add(super::write::tokens_of(conversation, &thrown_away));
            tracing::info!(conversation = %conversation.id, redos = run.redos, "a message came in while the LLM wrote; answering again with it");
        }
        None if steps == 0 => acknowledge(ports, conversation, since_reply).await,
        None => {}
    }
    let turns =
        turns_seeing(&loaded.history, &media::images_for(ports.bucket, agent, &loaded.history, &mut run.images).await);
    let context = knowledge::turn_context(ports, agent, agent_tools, since_reply, run).await;
    let request = ChatRequest::for_agent(agent, prompt.content.text.clone(), prompt.content.temperature, turns)
        .with_turn_context(context)
        // Past the step limit the model answers with what it has.
        .offering(if steps < tools::MAX_STEPS { agent_tools.specs() } else { Vec::new() });
    let answer = match complete(ports, &conversation.workspace_id, &request, deadline).await {
        Ok(answer) => answer,
        Err(err) if !err.is_retryable() => {
            fail(ports, conversation, "llm_refused", &format!("the LLM refused the request: {err}")).await?;
            return Ok(Thought::Stop);
        }
        Err(err) => return Err(RetryLater::Llm(err)),
    };
    if !answer.tool_calls.is_empty() && !request.tools.is_empty() {
        let earlier = std::mem::take(&mut run.discarded);
        return match tools::record(ports, conversation, agent, agent_tools, &answer, earlier).await {
            Ok(()) => Ok(Thought::ToolCallsRecorded),
            Err(StoreError::Conflict(_)) => {
                run.discarded = earlier;
                run.discarded.add(super::write::tokens_of(conversation, &answer));
                Ok(Thought::Again)
            }
            Err(err) => Err(err.into()),
        };
    }
    Ok(Thought::Answer(checked_output(ports, conversation, agent, answer).await?, Some(prompt.used)))
}

pub(super) async fn complete(
    ports: &ReplyPorts<'_>,
    workspace: &WorkspaceId,
    request: &ChatRequest,
    deadline: Deadline,
) -> Result<ChatReply, LlmError> {
    let mut delay = Duration::from_millis(500);
    let mut attempt = 1;
    loop {
        match measured_call(ports, workspace, request).await {
            // A time-out already used most of the invocation, and a retry must fit before the
            // invocation's end: otherwise the queue retries it, later.
            Err(err)
                if err.is_retryable()
                    && err != LlmError::Timeout
                    && attempt < LLM_ATTEMPTS
                    && deadline.leaves(delay + crate::ports::LLM_TIMEOUT) =>
            {
                tracing::warn!(error = %err, attempt, "LLM call failed; retrying");
                tokio::time::sleep(delay).await;
                delay *= 2;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// One LLM call, counted for the operators.
async fn measured_call(
    ports: &ReplyPorts<'_>,
    workspace: &WorkspaceId,
    request: &ChatRequest,
) -> Result<ChatReply, LlmError> {
    crate::metrics::measured_llm_call(ports.llm, ports.metrics, workspace, request).await
}

/// How often an answer is thrown away for a message that came in while the LLM wrote; after
/// that, the latest answer is sent (a contact who keeps writing still hears back).
const MAX_REDOS: u32 = 2;

/// Marks the contact's latest message read and shows the typing indicator, in one Graph call,
/// as the agent starts writing. Best effort: a failure here never holds the reply back.
async fn acknowledge(ports: &ReplyPorts<'_>, conversation: &Conversation, unanswered: &[Message]) {
    if !conversation.channel.is_whatsapp() {
        return;
    }
    let Some(wamid) =
        unanswered.iter().rev().filter(|m| m.direction == Direction::Inbound).find_map(|m| m.wamid.clone())
    else {
        return;
    };
    let marked = match sender_of(&ports.senders, conversation).await {
        Ok(from) => ports.whatsapp.mark_read(&from, &wamid).await.map_err(|err| err.to_string()),
        Err(err) => Err(err.to_string()),
    };
    if let Err(err) = marked {
        tracing::info!(conversation = %conversation.id, error = %err, "read receipt not sent");
    }
}

/// What a reply says when an output policy blocked what the LLM wrote.
pub const DEFAULT_FALLBACK: &str = "Sorry, I can't help with that here.";

/// Output policies run on the LLM's reply before it is stored: a blocked reply is replaced by
/// the agent's fallback text (the tokens still count).
pub(super) async fn checked_output(
    ports: &ReplyPorts<'_>,
    conversation: &Conversation,
    agent: &Agent,
    mut answer: ChatReply,
) -> Result<ChatReply, RetryLater> {
    let verdict = evaluate(&ports.policies, &conversation.workspace_id, &conversation.id, Flow::Output, &answer.text)
        .await
        .map_err(|err| RetryLater::Busy(err.to_string()))?;
    if let Some(policy) = verdict.blocked_by {
        tracing::info!(conversation = %conversation.id, policy = %policy, "reply replaced by the fallback text");
        answer.text = agent.fallback_text.clone().unwrap_or_else(|| DEFAULT_FALLBACK.to_owned());
    }
    Ok(answer)
}
