//! DELETE /api/v1/agents/{id}/
colloquy_functions::http_function!(DELETE_AGENT);
