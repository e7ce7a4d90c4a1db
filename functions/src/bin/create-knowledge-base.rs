//! POST /api/v1/knowledge-bases/
colloquy_functions::http_function!(CREATE_KNOWLEDGE_BASE);
