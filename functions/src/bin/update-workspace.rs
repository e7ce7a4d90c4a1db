//! PATCH /api/v1/workspace/
colloquy_functions::http_function!(UPDATE_WORKSPACE);
