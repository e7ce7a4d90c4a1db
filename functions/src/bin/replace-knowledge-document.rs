//! PUT /api/v1/knowledge-bases/{id}/documents/{documentId}/
colloquy_functions::http_function!(REPLACE_KNOWLEDGE_DOCUMENT);
