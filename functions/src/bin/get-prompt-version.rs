//! GET /api/prompts/{promptId}/versions/{version}
colloquy_functions::http_function!("get-prompt-version");
