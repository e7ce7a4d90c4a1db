//! POST /api/v1/conversations/
colloquy_functions::http_function!(CREATE_CONVERSATION);
