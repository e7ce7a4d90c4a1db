//! GET /v1/public/prompts/{prompt_name}
colloquy_functions::http_function!(GET_PUBLIC_PROMPT);
