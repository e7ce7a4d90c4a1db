//! POST /api/v1/dead-letters/{id}/redrive/
colloquy_functions::http_function!(REDRIVE_DEAD_LETTER);
