//! `/api/v1/contacts/{waId}/`: everything held about a contact, exported or erased on request.

use serde::Serialize;

use super::{ok, Reply};
use crate::http::request::{invalid, path_param};
use crate::http::views::conversations::{ConversationView, MessageView};
use crate::http::Request;
use crate::model::{timestamp, Principal};
use crate::App;
use colloquy_domain::analysis::model::AnalysisView;
use colloquy_domain::contacts::{self, ErasurePorts, WaId};

fn wa_id(request: &Request) -> Result<WaId, crate::AppError> {
    let text: String = path_param(request, "waId")?;
    WaId::parse(&text).map_err(|why| invalid("waId", why))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExportView {
    wa_id: String,
    exported_at: String,
    /// More messages than one export holds: the oldest were left out.
    truncated: bool,
    conversations: Vec<ExportedConversationView>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExportedConversationView {
    #[serde(flatten)]
    conversation: ConversationView,
    analysis: Option<AnalysisView>,
    /// Oldest first: texts, transcripts, what was read of files, tool calls with their arguments
    /// and results, and a link to each message's media.
    messages: Vec<MessageView>,
}

/// GET /api/v1/contacts/{waId}/export/ (admin): one JSON document.
pub async fn export(app: &App, who: &Principal, request: &Request) -> Reply {
    let wa_id = wa_id(request)?;
    let now = app.clock.now();
    let export = contacts::export(&*app.store, &*app.store, who, &wa_id).await?;
    let conversations = export
        .conversations
        .iter()
        .map(|exported| ExportedConversationView {
            conversation: ConversationView::new(&exported.conversation, now),
            analysis: exported.conversation.analysis.as_ref().map(|a| AnalysisView::new(&exported.conversation.id, a)),
            messages: exported.messages.iter().map(MessageView::from).collect(),
        })
        .collect();
    ok(&ExportView {
        wa_id: wa_id.as_str().to_owned(),
        exported_at: timestamp::format(now),
        truncated: export.truncated,
        conversations,
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErasureView {
    wa_id: String,
    erased_at: Option<String>,
    conversations: u32,
    messages: u32,
    media_objects: u32,
}

/// DELETE /api/v1/contacts/{waId}/ (admin): erased, idempotently.
pub async fn erase(app: &App, who: &Principal, request: &Request) -> Reply {
    let wa_id = wa_id(request)?;
    let ports = ErasurePorts { contacts: &*app.store, media: &*app.media, events: app.event_ports() };
    let erasure = contacts::erase(&ports, who, &wa_id).await?;
    ok(&ErasureView {
        wa_id: wa_id.as_str().to_owned(),
        erased_at: erasure.erased_at.map(timestamp::format),
        conversations: erasure.conversations,
        messages: erasure.messages,
        media_objects: erasure.media_objects,
    })
}
