//! POST /api/v1/conversations/{id}/messages/
colloquy_functions::http_function!(SEND_CONVERSATION_MESSAGE);
