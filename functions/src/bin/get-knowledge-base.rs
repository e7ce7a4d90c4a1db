//! GET /api/v1/knowledge-bases/{id}/
colloquy_functions::http_function!(GET_KNOWLEDGE_BASE);
