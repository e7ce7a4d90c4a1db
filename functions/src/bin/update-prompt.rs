//! PUT /api/prompts/{promptId}
colloquy_functions::http_function!(UPDATE_PROMPT);
