//! POST /api/prompts/{promptId}/versions/{version}/restore
colloquy_functions::http_function!("restore-prompt-version");
