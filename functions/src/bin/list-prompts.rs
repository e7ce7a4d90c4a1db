//! GET /api/prompts
colloquy_functions::http_function!("list-prompts");
