//! GET /api/v1/workspace/
colloquy_functions::http_function!(GET_WORKSPACE);
