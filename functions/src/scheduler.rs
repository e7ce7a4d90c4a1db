//! The scheduled function: every minute (EventBridge), queue one trigger per conversation whose
//! follow-up or analysis is due, and resume runs whose tool calls expired undecided. Queries the
//! sparse indexes, never scans.

use colloquy_api::App;
use colloquy_domain::due_work::{self, DueWorkError};
use serde_json::{json, Value};

/// `event` is EventBridge's scheduled event; only its time matters, and the clock decides that.
pub async fn handle(app: &App, event: Value) -> Result<Value, DueWorkError> {
    tracing::debug!(time = ?event.get("time"), "scheduled run");
    let queued = due_work::queue_due(&app.due_work_ports(), app.clock.now()).await?;
    Ok(json!({
        "queued": queued.follow_ups,
        "analyses": queued.analyses,
        "expiredToolCalls": queued.expired_tool_calls,
    }))
}
