//! GET /api/prompts/{promptId}/versions/{version}
colloquy_functions::http_function!(GET_PROMPT_VERSION);
