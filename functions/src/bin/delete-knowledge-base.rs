//! DELETE /api/v1/knowledge-bases/{id}/
colloquy_functions::http_function!(DELETE_KNOWLEDGE_BASE);
