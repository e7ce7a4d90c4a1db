//! POST /api/v1/agents/
colloquy_functions::http_function!(CREATE_AGENT);
