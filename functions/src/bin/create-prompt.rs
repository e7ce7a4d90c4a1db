//! POST /v1/public/prompts
colloquy_functions::http_function!(CREATE_PROMPT);
