//! GET /api/v1/knowledge-bases/{id}/documents/{documentId}/
colloquy_functions::http_function!(GET_KNOWLEDGE_DOCUMENT);
