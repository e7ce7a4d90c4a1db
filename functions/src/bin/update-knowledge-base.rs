//! PATCH /api/v1/knowledge-bases/{id}/
colloquy_functions::http_function!(UPDATE_KNOWLEDGE_BASE);
