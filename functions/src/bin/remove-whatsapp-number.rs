//! DELETE /api/v1/whatsapp-numbers/{phoneNumberId}/
colloquy_functions::http_function!(REMOVE_WHATSAPP_NUMBER);
