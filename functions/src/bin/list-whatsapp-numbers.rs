//! GET /api/v1/whatsapp-numbers/
colloquy_functions::http_function!(LIST_WHATSAPP_NUMBERS);
