//! DELETE /api/prompts/{promptId}/labels/{label}
colloquy_functions::http_function!(REMOVE_PROMPT_LABEL);
