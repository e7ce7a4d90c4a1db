//! PUT /api/prompts/{promptId}/labels/{label}
colloquy_functions::http_function!(MOVE_PROMPT_LABEL);
