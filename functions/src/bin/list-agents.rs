//! GET /api/v1/agents/
colloquy_functions::http_function!(LIST_AGENTS);
