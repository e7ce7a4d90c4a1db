//! GET /api/v1/policy-violations/
colloquy_functions::http_function!("list-policy-violations");
