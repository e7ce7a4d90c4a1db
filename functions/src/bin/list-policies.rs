//! GET /api/v1/policies/
colloquy_functions::http_function!(LIST_POLICIES);
