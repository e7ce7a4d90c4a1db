//! GET /api/v1/contacts/{waId}/export/
colloquy_functions::http_function!(EXPORT_CONTACT);
