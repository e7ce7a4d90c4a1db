//! DELETE /api/v1/knowledge-bases/{id}/documents/{documentId}/
colloquy_functions::http_function!(DELETE_KNOWLEDGE_DOCUMENT);
