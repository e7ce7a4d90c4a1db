//! DELETE /api/v1/api-keys/{prefix}/
colloquy_functions::http_function!(REVOKE_API_KEY);
