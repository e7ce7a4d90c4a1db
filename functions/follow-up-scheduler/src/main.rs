use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    colloquy::telemetry::init();
    let app = colloquy::App::from_env().await?;
    let app = &app;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        follow_up_scheduler::handle(app, event.payload)
            .await
            .map_err(|err| lambda_runtime::Error::from(err.to_string()))
    }))
    .await
}
