//! POST /api/v1/whatsapp-numbers/
colloquy_functions::http_function!(REGISTER_WHATSAPP_NUMBER);
