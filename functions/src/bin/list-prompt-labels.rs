//! GET /api/prompts/{promptId}/labels
colloquy_functions::http_function!(LIST_PROMPT_LABELS);
