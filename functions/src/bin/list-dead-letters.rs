//! GET /api/v1/dead-letters/
colloquy_functions::http_function!(LIST_DEAD_LETTERS);
