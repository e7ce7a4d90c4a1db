//! GET /api/v1/conversations/{id}/messages/
colloquy_functions::http_function!("list-conversation-messages");
