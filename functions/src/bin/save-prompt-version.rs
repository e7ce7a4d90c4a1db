//! POST /api/prompts/{promptId}/versions
colloquy_functions::http_function!("save-prompt-version");
