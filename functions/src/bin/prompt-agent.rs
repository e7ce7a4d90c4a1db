//! POST /api/v1/conversations/{id}/prompt/
colloquy_functions::http_function!(PROMPT_AGENT);
