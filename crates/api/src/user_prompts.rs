//! `POST /conversation/{conversationId}/prompt`: a user turn in the conversation (the Flashback seed's
//! route and its `{success, message}` answers).

use serde_json::json;

use super::{ok, Reply};
use crate::http::bodies::command;
use crate::http::bodies::conversations::UserPromptBody;
use crate::http::request::path_param;
use crate::http::Request;
use crate::model::Principal;
use crate::App;
use colloquy_domain::prompts::user_prompt;

/// Queued for the agent. Answers `{success, message}`; with `waitSeconds`, also `response` (the
/// reply, its token counts and model) when the reply is ready in time, or `pendingToolCall` as soon
/// as the run pauses on a call that needs a person's approval. Errors in the same shape.
pub async fn send_prompt(app: &App, who: &Principal, request: &Request) -> Reply {
    let conversation_id = path_param(request, "conversationId")?;
    let sent = user_prompt::send_prompt(
        &app.conversation_ports(),
        &app.policy_ports(),
        &*app.store,
        who,
        &conversation_id,
        command::<UserPromptBody, _>(request)?,
    )
    .await?;
    let mut body = json!({ "success": true, "message": "Prompt sent successfully", "promptId": sent.prompt.id });
    if let Some(reply) = sent.reply {
        let usage = reply.usage.as_ref();
        body["response"] = json!({
            "content": reply.text,
            "status": reply.status,
            "model": usage.map(|u| u.model.clone()),
            "inputTokens": usage.map(|u| u.input_tokens),
            "outputTokens": usage.map(|u| u.output_tokens),
        });
    }
    if let Some(call) = sent.pending_call.as_ref().and_then(|m| Some((m, m.tool_call.as_ref()?))) {
        body["pendingToolCall"] = json!(colloquy_domain::tools::call::ToolCallView::new(call.0, call.1));
    }
    ok(&body)
}
