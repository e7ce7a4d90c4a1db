//! The Lambda entry points. A function's `main` names itself; this builds what its route rows
//! need, once per container, and hands the requests to `api::routes::dispatch`.

use http::StatusCode;
use lambda_http::{service_fn, Request};
use lambda_runtime::LambdaEvent;

use colloquy_api::http::response;
use colloquy_api::routes::{self, dispatch, Function};
use colloquy_api::Needs;

use crate::wiring::Clients;
use crate::worker::Worker;
use crate::{telemetry, wiring};

pub type Error = lambda_runtime::Error;

/// What each function no route reaches builds (`wiring::Clients`).
macro_rules! clients {
    ($($name:ident = $needs:expr;)*) => {
        $(
            struct $name;
            impl Clients for $name {
                const NEEDS: Needs = $needs;
            }
        )*
    };
}

clients! {
    WorkerClients = Needs::WORKER;
    DeadLetterClients = Needs::TABLE.with_queue();
    RetentionClients = Needs::TABLE.with_media();
    SchedulerClients = Needs::SCHEDULER;
}

/// An HTTP API function: the rows of its entry in the route table. The binary names that entry
/// (`routes::function::GET_AGENT`), so it links only its own handlers and what they call.
pub async fn serve_http<C: Clients>(function: &'static Function) -> Result<(), Error> {
    telemetry::init();
    let rows = function.rows;
    let app = wiring::from_env::<C>().await?.with_metrics(wiring::metrics(function.name));
    let (app, rows) = (&app, &rows);
    lambda_http::run(service_fn(move |request: Request| async move {
        let route = rows.iter().find(|row| row.method == request.method().as_str());
        Ok::<_, std::convert::Infallible>(match route {
            Some(route) => dispatch(route, app, &request).await,
            None => response::with_json_body(
                StatusCode::METHOD_NOT_ALLOWED,
                serde_json::json!({ "error": { "code": "method_not_allowed", "message": format!("{} is not a method this endpoint answers", request.method()) } }).to_string(),
            ),
        })
    }))
    .await
}

/// API Gateway's `$default` route: answers what no route takes (405 or 404); builds nothing.
pub async fn serve_unrouted() -> Result<(), Error> {
    telemetry::init();
    lambda_http::run(service_fn(|request: Request| async move {
        Ok::<_, std::convert::Infallible>(routes::unrouted(request.method().as_str(), request.uri().path()))
    }))
    .await
}

/// The agent worker, fed by the SQS event source.
pub async fn serve_worker() -> Result<(), Error> {
    telemetry::init();
    let app = wiring::from_env::<WorkerClients>().await?;
    let worker = Worker::new(app.with_reader(wiring::file_reader()).with_metrics(wiring::metrics("agent-worker")));
    let worker = &worker;
    lambda_runtime::run(lambda_runtime::service_fn(move |event: LambdaEvent<crate::worker::SqsEvent>| async move {
        let deadline = crate::worker::Deadline::from_epoch_millis(event.context.deadline);
        Ok::<_, std::convert::Infallible>(worker.handle(event.payload, deadline).await)
    }))
    .await
}

/// The dead-letter recorder, fed by the trigger dead-letter queue's SQS event source.
pub async fn serve_dead_letter_recorder() -> Result<(), Error> {
    telemetry::init();
    let app = wiring::from_env::<DeadLetterClients>().await?.with_metrics(wiring::metrics("dead-letter-recorder"));
    let recorder = &crate::dead_letters::DeadLetterRecorder { app };
    lambda_runtime::run(lambda_runtime::service_fn(move |event: LambdaEvent<crate::worker::SqsEvent>| async move {
        Ok::<_, std::convert::Infallible>(recorder.handle(event.payload).await)
    }))
    .await
}

/// The retention sweeper, run by an EventBridge schedule.
pub async fn serve_retention() -> Result<(), Error> {
    telemetry::init();
    let app = wiring::from_env::<RetentionClients>().await?;
    let app = &app;
    lambda_runtime::run(lambda_runtime::service_fn(move |event: LambdaEvent<serde_json::Value>| async move {
        let deadline = crate::worker::Deadline::from_epoch_millis(event.context.deadline);
        crate::retention::handle(app, deadline).await.map_err(|err| Error::from(err.to_string()))
    }))
    .await
}

/// The follow-up scheduler, run by an EventBridge schedule.
pub async fn serve_scheduler() -> Result<(), Error> {
    telemetry::init();
    let app = wiring::from_env::<SchedulerClients>().await?.with_metrics(wiring::metrics("follow-up-scheduler"));
    let app = &app;
    lambda_runtime::run(lambda_runtime::service_fn(move |event: LambdaEvent<serde_json::Value>| async move {
        crate::scheduler::handle(app, event.payload).await.map_err(|err| Error::from(err.to_string()))
    }))
    .await
}
