//! PATCH /api/v1/tools/{id}/
colloquy_functions::http_function!(UPDATE_TOOL);
