//! PATCH /api/v1/policies/{id}/
colloquy_functions::http_function!(UPDATE_POLICY);
