//! GET /api/v1/conversations/{id}/messages/{messageId}/media/
colloquy_functions::http_function!("get-message-media");
