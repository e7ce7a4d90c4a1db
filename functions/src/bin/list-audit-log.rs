//! GET /api/v1/audit-log/
colloquy_functions::http_function!(LIST_AUDIT_LOG);
