//! The retention sweeper: every hour (EventBridge), delete the messages and media older than
//! their workspace's retention, in the workspaces due (each at most once a day).

use colloquy_api::App;
use colloquy_domain::model::deadline::Deadline;
use colloquy_domain::retention::{self, SweepPorts};
use serde_json::{json, Value};

pub async fn handle(app: &App, deadline: Deadline) -> Result<Value, colloquy_domain::AppError> {
    let ports = SweepPorts { store: &*app.store, media: &*app.media };
    let swept = retention::sweep(&ports, app.clock.now(), deadline).await?;
    Ok(json!({
        "workspaces": swept.workspaces,
        "messages": swept.messages,
        "mediaObjects": swept.media_objects,
    }))
}
