//! GET /api/prompts/{promptId}
colloquy_functions::http_function!(GET_PROMPT);
