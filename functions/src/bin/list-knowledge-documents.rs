//! GET /api/v1/knowledge-bases/{id}/documents/
colloquy_functions::http_function!(LIST_KNOWLEDGE_DOCUMENTS);
