//! GET /api/v1/policy-violations/
colloquy_functions::http_function!(LIST_POLICY_VIOLATIONS);
