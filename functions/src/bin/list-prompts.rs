//! GET /api/prompts
colloquy_functions::http_function!(LIST_PROMPTS);
