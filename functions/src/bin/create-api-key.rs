//! POST /api/v1/api-keys/
colloquy_functions::http_function!(CREATE_API_KEY);
