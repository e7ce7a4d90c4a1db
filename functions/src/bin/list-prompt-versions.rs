//! GET /api/prompts/{promptId}/versions
colloquy_functions::http_function!("list-prompt-versions");
