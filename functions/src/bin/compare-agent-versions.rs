//! GET /api/v1/agents/{id}/versions-compared/
colloquy_functions::http_function!(COMPARE_AGENT_VERSIONS);
