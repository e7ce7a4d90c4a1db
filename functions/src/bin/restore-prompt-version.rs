//! POST /api/prompts/{promptId}/versions/{version}/restore
colloquy_functions::http_function!(RESTORE_PROMPT_VERSION);
