#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    colloquy::telemetry::init();
    let app = colloquy::App::from_env().await?;
    colloquy::http::serve(app, done_conversation::handle).await
}
