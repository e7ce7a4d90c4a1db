//! GET /api/v1/tools/
colloquy_functions::http_function!(LIST_TOOLS);
