//! GET /api/prompts/{promptId}/versions
colloquy_functions::http_function!(LIST_PROMPT_VERSIONS);
