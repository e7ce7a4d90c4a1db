//! GET /api/v1/policies/{id}/
colloquy_functions::http_function!(GET_POLICY);
