//! `/api/v1/knowledge-bases/`: a workspace's knowledge bases, their documents, and a search that
//! shows what an agent would be given.

use super::{created, no_content, ok, Reply};
use crate::http::bodies::command;
use crate::http::bodies::knowledge::{
    source_of, DocumentBody, KnowledgeBaseChangeBody, NewKnowledgeBaseBody, SearchBody,
};
use crate::http::request::{json_body, page_request, path_param};
use crate::http::response::ListBody;
use crate::http::views::knowledge::{
    AddedView, DocumentView, HitView, KnowledgeBaseView, SearchView, SnapshotView, UploadView,
};
use crate::http::Request;
use crate::model::Principal;
use crate::App;
use colloquy_domain::knowledge::{self, documents, search};

/// POST /api/v1/knowledge-bases/
pub async fn create(app: &App, who: &Principal, request: &Request) -> Reply {
    let (name, description) = json_body::<NewKnowledgeBaseBody>(request)?.parse()?;
    let base = knowledge::create(&*app.store, &*app.clock, who, name, description).await?;
    tracing::info!(workspace = %who.workspace_id, knowledge_base = %base.id, "knowledge base created");
    created(&KnowledgeBaseView::from(&base))
}

/// GET /api/v1/knowledge-bases/: oldest first.
pub async fn list(app: &App, who: &Principal, request: &Request) -> Reply {
    let page_request = page_request(request)?;
    let page = knowledge::list(&*app.store, who, &page_request).await?.map(|b| KnowledgeBaseView::from(&b));
    ok(&ListBody::from_page(page, "/api/v1/knowledge-bases/", page_request.limit, &[]))
}

/// GET /api/v1/knowledge-bases/{id}/
pub async fn get(app: &App, who: &Principal, request: &Request) -> Reply {
    ok(&KnowledgeBaseView::from(&knowledge::get(&*app.store, who, &path_param(request, "id")?).await?))
}

/// PATCH /api/v1/knowledge-bases/{id}/: its name or description.
pub async fn update(app: &App, who: &Principal, request: &Request) -> Reply {
    let change = command::<KnowledgeBaseChangeBody, _>(request)?;
    let base = knowledge::change(&*app.store, &*app.clock, who, &path_param(request, "id")?, change).await?;
    ok(&KnowledgeBaseView::from(&base))
}

/// DELETE /api/v1/knowledge-bases/{id}/: with its documents and snapshots.
pub async fn delete(app: &App, who: &Principal, request: &Request) -> Reply {
    knowledge::delete(&app.knowledge_ports(), who, &path_param(request, "id")?).await?;
    no_content()
}

/// POST /api/v1/knowledge-bases/{id}/documents/: `pending` until the rebuild it queues.
pub async fn add_document(app: &App, who: &Principal, request: &Request) -> Reply {
    let new = json_body::<DocumentBody>(request)?.parse(&app.outbound)?;
    let source = source_of(&new);
    let added = documents::add(&app.knowledge_ports(), who, &path_param(request, "id")?, new).await?;
    tracing::info!(workspace = %who.workspace_id, document = %added.document.id, source, "document added");
    created(&AddedView {
        document: DocumentView::from(&added.document),
        upload: added.upload.as_ref().map(UploadView::from),
    })
}

/// POST /api/v1/knowledge-bases/{id}/documents/{documentId}/uploaded/: the file is in place.
pub async fn complete_upload(app: &App, who: &Principal, request: &Request) -> Reply {
    let (id, document_id) = (path_param(request, "id")?, path_param(request, "documentId")?);
    ok(&DocumentView::from(&documents::complete_upload(&app.knowledge_ports(), who, &id, &document_id).await?))
}

/// GET /api/v1/knowledge-bases/{id}/documents/: oldest first.
pub async fn list_documents(app: &App, who: &Principal, request: &Request) -> Reply {
    let page_request = page_request(request)?;
    let id = path_param(request, "id")?;
    let page = documents::list(&app.knowledge_ports(), who, &id, &page_request).await?.map(|d| DocumentView::from(&d));
    ok(&ListBody::from_page(page, &format!("/api/v1/knowledge-bases/{id}/documents/"), page_request.limit, &[]))
}

/// GET /api/v1/knowledge-bases/{id}/documents/{documentId}/
pub async fn get_document(app: &App, who: &Principal, request: &Request) -> Reply {
    let (id, document_id) = (path_param(request, "id")?, path_param(request, "documentId")?);
    ok(&DocumentView::from(&documents::get(&app.knowledge_ports(), who, &id, &document_id).await?))
}

/// PUT /api/v1/knowledge-bases/{id}/documents/{documentId}/: new name and content.
pub async fn replace_document(app: &App, who: &Principal, request: &Request) -> Reply {
    let new = json_body::<DocumentBody>(request)?.parse_replacement(&app.outbound)?;
    let (id, document_id) = (path_param(request, "id")?, path_param(request, "documentId")?);
    let document = documents::replace(&app.knowledge_ports(), who, &id, &document_id, new).await?;
    ok(&DocumentView::from(&document))
}

/// DELETE /api/v1/knowledge-bases/{id}/documents/{documentId}/
pub async fn delete_document(app: &App, who: &Principal, request: &Request) -> Reply {
    let (id, document_id) = (path_param(request, "id")?, path_param(request, "documentId")?);
    documents::delete(&app.knowledge_ports(), who, &id, &document_id).await?;
    no_content()
}

/// POST /api/v1/knowledge-bases/{id}/search/: the chunks an agent would be given.
pub async fn search(app: &App, who: &Principal, request: &Request) -> Reply {
    let (query, limit) = json_body::<SearchBody>(request)?.parse()?;
    let id = path_param(request, "id")?;
    let found = search::search(&*app.store, &*app.knowledge, app.embedder.as_deref(), who, &id, &query, limit).await?;
    ok(&SearchView {
        results: found.hits.iter().map(HitView::from).collect(),
        snapshot: found.snapshot.as_ref().map(SnapshotView::from),
    })
}
