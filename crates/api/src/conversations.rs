//! `/api/v1/conversations/` (Wassist): conversations with contacts, their messages, takeover.

use super::{accepted, created, no_content, ok, Reply};
use crate::http::bodies::conversations::{
    Instruction, NewConversationBody, OperatorMessageBody, OperatorPromptBody, TakeoverBody,
};
use crate::http::bodies::{command, optional_command};
use crate::http::request::{page_request, path_param};
use crate::http::response::ListBody;
use crate::http::views::conversations::{ConversationView, MessageView};
use crate::http::Request;
use crate::model::{Conversation, Principal};
use crate::App;
use colloquy_domain::analysis;
use colloquy_domain::analysis::model::{AnalysisCause, AnalysisView};
use colloquy_domain::conversations;
use colloquy_domain::conversations::operator_messages;

fn view(app: &App, conversation: &Conversation) -> Reply {
    ok(&ConversationView::new(conversation, app.clock.now()))
}

/// POST /api/v1/conversations/: the conversation with a contact, optionally opened with a
/// template; 201 with the `Conversation`, also when it existed (then switched to the agent).
pub async fn create(app: &App, who: &Principal, request: &Request) -> Reply {
    let created_conversation =
        conversations::create_conversation(&app.conversation_ports(), who, command::<NewConversationBody, _>(request)?)
            .await?;
    let conversation = &created_conversation.conversation;
    tracing::info!(workspace = %who.workspace_id, conversation = %conversation.id, existed = created_conversation.existed, "conversation created");
    created(&ConversationView::new(conversation, app.clock.now()))
}

/// GET /api/v1/conversations/: newest first.
pub async fn list(app: &App, who: &Principal, request: &Request) -> Reply {
    let page_request = page_request(request)?;
    let now = app.clock.now();
    let page = conversations::list_conversations(&*app.store, who, &page_request)
        .await?
        .map(|c| ConversationView::new(&c, now));
    ok(&ListBody::from_page(page, "/api/v1/conversations/", page_request.limit, &[]))
}

/// GET /api/v1/conversations/{id}/
pub async fn get(app: &App, who: &Principal, request: &Request) -> Reply {
    view(app, &conversations::get_conversation(&*app.store, who, &path_param(request, "id")?).await?)
}

/// GET /api/v1/conversations/{id}/messages/: newest first.
pub async fn messages(app: &App, who: &Principal, request: &Request) -> Reply {
    let conversation_id = path_param(request, "id")?;
    let page_request = page_request(request)?;
    let page = conversations::list_messages(&*app.store, who, &conversation_id, &page_request)
        .await?
        .map(|m| MessageView::from(&m));
    let path = format!("/api/v1/conversations/{conversation_id}/messages/");
    ok(&ListBody::from_page(page, &path, page_request.limit, &[]))
}

/// GET /api/v1/conversations/{id}/messages/{messageId}/media/: a link to the message's media
/// that works for five minutes.
pub async fn media(app: &App, who: &Principal, request: &Request) -> Reply {
    let (conversation_id, message_id) = (path_param(request, "id")?, path_param(request, "messageId")?);
    ok(&colloquy_domain::media::media_links::media_link(
        &*app.store,
        &*app.media,
        &*app.clock,
        who,
        &conversation_id,
        &message_id,
    )
    .await?)
}

/// POST /api/v1/conversations/{id}/messages/: a person writes to the contact: `text` inside the
/// 24-hour window, `template` at any time. 201 with the message as sent.
pub async fn send_message(app: &App, who: &Principal, request: &Request) -> Reply {
    let input = command::<OperatorMessageBody, _>(request)?;
    let message =
        operator_messages::send_operator_message(&app.conversation_ports(), who, &path_param(request, "id")?, input)
            .await?;
    created(&MessageView::from(&message))
}

/// POST /api/v1/conversations/{id}/prompt/: an operator's instruction to the agent, which then
/// writes to the contact. 204 once queued; 400 when the conversation is not active.
pub async fn prompt_agent(app: &App, who: &Principal, request: &Request) -> Reply {
    let Instruction(instruction) = command::<OperatorPromptBody, _>(request)?;
    conversations::prompt_agent(&app.conversation_ports(), who, &path_param(request, "id")?, &instruction).await?;
    no_content()
}

/// POST /api/v1/conversations/{id}/takeover/: a human takes over for `durationMinutes`
/// (default 10); the bot sends nothing until it expires or is handed back.
pub async fn take_over(app: &App, who: &Principal, request: &Request) -> Reply {
    let id = path_param(request, "id")?;
    let minutes = optional_command::<TakeoverBody, _>(request)?;
    view(app, &conversations::take_over(&app.conversation_ports(), who, &id, minutes).await?)
}

/// POST /api/v1/conversations/{id}/handback/: the agent answers again.
pub async fn hand_back(app: &App, who: &Principal, request: &Request) -> Reply {
    view(app, &conversations::hand_back(&*app.store, &*app.clock, who, &path_param(request, "id")?).await?)
}

/// POST /api/v1/conversations/{id}/done/: its follow-ups stop until the contact writes again.
pub async fn done(app: &App, who: &Principal, request: &Request) -> Reply {
    let conversation = conversations::mark_done(&*app.store, &*app.clock, who, &path_param(request, "id")?).await?;
    analysis::after_done(&app.analysis_ports(), &conversation).await;
    view(app, &conversation)
}

/// POST /api/v1/conversations/{id}/analyze/: 202 when an analysis of the transcript as it stands
/// is queued; 200 with the stored analysis when the transcript has not changed since.
pub async fn analyze(app: &App, who: &Principal, request: &Request) -> Reply {
    let conversation = conversations::get_conversation(&*app.store, who, &path_param(request, "id")?).await?;
    let agent = app.store.get_agent(&conversation.workspace_id, &conversation.agent_id).await?;
    match analysis::request(&app.analysis_ports(), &conversation, agent.as_ref(), AnalysisCause::OnDemand).await? {
        analysis::Requested::Current(current) => ok(&AnalysisView::new(&conversation.id, &current)),
        analysis::Requested::Queued => accepted(&serde_json::json!({
            "message": "Analysis queued: GET the conversation's analysis/ for the result",
            "conversationId": conversation.id,
        })),
    }
}

/// GET /api/v1/conversations/{id}/analysis/: the latest analysis, or 404 before the first.
pub async fn get_analysis(app: &App, who: &Principal, request: &Request) -> Reply {
    let conversation = conversations::get_conversation(&*app.store, who, &path_param(request, "id")?).await?;
    match &conversation.analysis {
        Some(current) => ok(&AnalysisView::new(&conversation.id, current)),
        None => Err(crate::AppError::not_found(&format!(
            "an analysis of conversation `{}` (none has run yet)",
            conversation.id
        ))
        .into()),
    }
}
