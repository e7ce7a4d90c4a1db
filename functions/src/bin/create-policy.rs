//! POST /api/v1/policies/
colloquy_functions::http_function!(CREATE_POLICY);
