//! POST /api/v1/conversations/{id}/handback/
colloquy_functions::http_function!(HANDBACK_CONVERSATION);
