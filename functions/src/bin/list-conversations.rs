//! GET /api/v1/conversations/
colloquy_functions::http_function!(LIST_CONVERSATIONS);
