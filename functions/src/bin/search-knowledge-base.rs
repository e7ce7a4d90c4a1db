//! POST /api/v1/knowledge-bases/{id}/search/
colloquy_functions::http_function!(SEARCH_KNOWLEDGE_BASE);
