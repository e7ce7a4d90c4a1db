//! GET /api/v1/usage/
colloquy_functions::http_function!("get-usage");
