//! POST /api/v1/conversations/{id}/analyze/
colloquy_functions::http_function!(ANALYZE_CONVERSATION);
