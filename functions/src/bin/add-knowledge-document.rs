//! POST /api/v1/knowledge-bases/{id}/documents/
colloquy_functions::http_function!(ADD_KNOWLEDGE_DOCUMENT);
