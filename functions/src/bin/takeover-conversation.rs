//! POST /api/v1/conversations/{id}/takeover/
colloquy_functions::http_function!(TAKEOVER_CONVERSATION);
