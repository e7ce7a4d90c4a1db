//! DELETE /api/v1/tools/{id}/
colloquy_functions::http_function!(DELETE_TOOL);
