//! GET /api/v1/conversations/{id}/analysis/
colloquy_functions::http_function!(GET_CONVERSATION_ANALYSIS);
