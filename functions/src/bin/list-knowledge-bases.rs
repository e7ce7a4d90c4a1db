//! GET /api/v1/knowledge-bases/
colloquy_functions::http_function!(LIST_KNOWLEDGE_BASES);
