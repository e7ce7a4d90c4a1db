//! POST /api/v1/conversations/{id}/done/
colloquy_functions::http_function!(DONE_CONVERSATION);
