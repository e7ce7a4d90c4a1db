//! GET /webhooks/whatsapp and POST /webhooks/whatsapp
colloquy_functions::http_function!(WHATSAPP_WEBHOOK);
