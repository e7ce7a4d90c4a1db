//! DELETE /api/v1/policies/{id}/
colloquy_functions::http_function!(DELETE_POLICY);
