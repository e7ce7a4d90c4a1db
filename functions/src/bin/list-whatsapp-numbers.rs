//! GET /api/v1/whatsapp-numbers/
colloquy_functions::http_function!("list-whatsapp-numbers");
