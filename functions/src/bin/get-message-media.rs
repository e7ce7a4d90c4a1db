//! GET /api/v1/conversations/{id}/messages/{messageId}/media/
colloquy_functions::http_function!(GET_MESSAGE_MEDIA);
