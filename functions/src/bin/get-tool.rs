//! GET /api/v1/tools/{id}/
colloquy_functions::http_function!(GET_TOOL);
