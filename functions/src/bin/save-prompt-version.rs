//! POST /api/prompts/{promptId}/versions
colloquy_functions::http_function!(SAVE_PROMPT_VERSION);
