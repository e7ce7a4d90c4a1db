//! The scheduled follow-up function: every minute (EventBridge), queue one trigger per
//! conversation whose follow-up or analysis is due, and resume runs whose tool calls expired
//! undecided. Queries the sparse index, never scans.

use serde_json::{json, Value};

use crate::usecases::follow_ups;
use crate::{App, AppError};

/// `event` is EventBridge's scheduled event; only its time matters, and the clock decides that.
pub async fn handle(app: &App, event: Value) -> Result<Value, AppError> {
    tracing::debug!(time = ?event.get("time"), "scheduled run");
    let now = app.clock.now();
    let queued = follow_ups::queue_due(app, now).await?;
    let analyses = crate::usecases::analysis::queue_due(app, now).await?;
    let expired_tool_calls = crate::usecases::tool_calls::queue_expired(app, now).await?;
    Ok(json!({ "queued": queued, "analyses": analyses, "expiredToolCalls": expired_tool_calls }))
}
