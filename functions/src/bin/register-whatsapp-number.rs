//! POST /api/v1/whatsapp-numbers/
colloquy_functions::http_function!("register-whatsapp-number");
