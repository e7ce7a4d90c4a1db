//! POST /api/v1/knowledge-bases/{id}/documents/{documentId}/uploaded/
colloquy_functions::http_function!(COMPLETE_KNOWLEDGE_UPLOAD);
