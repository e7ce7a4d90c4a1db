//! PATCH /api/v1/agents/{id}/
colloquy_functions::http_function!(UPDATE_AGENT);
