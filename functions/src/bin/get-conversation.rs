//! GET /api/v1/conversations/{id}/
colloquy_functions::http_function!(GET_CONVERSATION);
