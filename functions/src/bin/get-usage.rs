//! GET /api/v1/usage/
colloquy_functions::http_function!(GET_USAGE);
