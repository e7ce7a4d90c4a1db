use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    colloquy::telemetry::init();
    let config = colloquy::config::Config::from_env()?;
    if config.openai.is_none() && config.anthropic.is_none() {
        return Err(
            "missing configuration: set LLM_API_KEY (and LLM_BASE_URL for a non-OpenAI endpoint) or ANTHROPIC_API_KEY"
                .into(),
        );
    }
    let aws = colloquy::aws::load().await;
    let worker = agent_worker::Worker::new(colloquy::App::on_aws(&aws, &config)?);
    let worker = &worker;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<aws_lambda_events::event::sqs::SqsEvent>| async move {
        Ok::<_, std::convert::Infallible>(agent_worker::handle(worker, event.payload).await)
    }))
    .await
}
