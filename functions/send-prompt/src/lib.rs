//! `POST /conversation/{conversationId}/prompt` (Flashback): a user turn in the conversation,
//! queued for the agent. Answers `{success, message}`; with `waitSeconds`, also `response` (the
//! reply, its token counts and model) when the reply is ready in time. Errors in the same shape.

use colloquy::http::request::{json_body, path_param};
use colloquy::http::response::respond_flashback;
use colloquy::http::{auth, response, Body, Request, Response};
use colloquy::usecases::user_prompt;
use colloquy::{App, AppError};
use lambda_http::http::StatusCode;
use serde_json::json;

pub async fn handle(app: App, request: Request) -> Response<Body> {
    respond_flashback(run(&app, &request).await)
}

async fn run(app: &App, request: &Request) -> Result<Response<Body>, AppError> {
    let principal = auth::authenticate(app, request).await?;
    auth::require_write(&principal)?;
    let conversation_id = path_param(request, "conversationId")?;
    let sent = user_prompt::send_prompt(app, &principal, &conversation_id, json_body(request)?).await?;
    let mut body = json!({ "success": true, "message": "Prompt sent successfully", "promptId": sent.prompt.id });
    if let Some(reply) = sent.reply {
        let usage = reply.usage.clone();
        body["response"] = json!({
            "content": reply.text,
            "status": reply.status,
            "model": usage.as_ref().map(|u| u.model.clone()),
            "inputTokens": usage.as_ref().map(|u| u.input_tokens),
            "outputTokens": usage.as_ref().map(|u| u.output_tokens),
        });
    }
    Ok(response::json(StatusCode::OK, &body))
}
