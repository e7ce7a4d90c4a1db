//! POST /api/v1/tools/
colloquy_functions::http_function!(CREATE_TOOL);
