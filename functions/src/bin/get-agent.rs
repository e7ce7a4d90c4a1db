//! GET /api/v1/agents/{id}/
colloquy_functions::http_function!(GET_AGENT);
