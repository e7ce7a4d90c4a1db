#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    colloquy::telemetry::init();
    let secrets = colloquy::WebhookSecrets::from_env()?;
    let app = colloquy::App::from_env().await?.with_webhook_secrets(secrets);
    colloquy::http::serve(app, whatsapp_webhook::handle).await
}
