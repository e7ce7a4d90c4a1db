//! GET /api/v1/conversations/{id}/messages/
colloquy_functions::http_function!(LIST_CONVERSATION_MESSAGES);
