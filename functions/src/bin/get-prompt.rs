//! GET /api/prompts/{promptId}
colloquy_functions::http_function!("get-prompt");
