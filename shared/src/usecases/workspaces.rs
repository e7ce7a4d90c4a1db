use time::OffsetDateTime;

use crate::model::{IssuedKey, Principal, Role, Workspace};
use crate::ports::Store;
use crate::{App, AppError};

pub const MAX_NAME_CHARS: usize = 100;

/// Creates a workspace and its first admin key: the only key that does not need a key.
/// Takes the store alone so that the admin command line needs no queue.
pub async fn create_workspace(
    store: &dyn Store,
    name: &str,
    now: OffsetDateTime,
) -> Result<(Workspace, IssuedKey), AppError> {
    let name = crate::http::request::required_text("name", name, MAX_NAME_CHARS)?;
    let workspace = Workspace::new(name, now);
    let issued = IssuedKey::generate(&workspace.id, "first admin key".to_owned(), Role::Admin, now);
    store.create_workspace(&workspace, &issued.key, &issued.hash).await?;
    Ok((workspace, issued))
}

pub async fn current_workspace(app: &App, principal: &Principal) -> Result<Workspace, AppError> {
    app.store
        .get_workspace(&principal.workspace_id)
        .await?
        .ok_or_else(|| AppError::Internal(format!("key {} points at a missing workspace", principal.key_prefix)))
}
