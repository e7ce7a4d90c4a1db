//! GET /api/v1/api-keys/
colloquy_functions::http_function!(LIST_API_KEYS);
