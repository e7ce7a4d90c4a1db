//! DELETE /api/v1/contacts/{waId}/
colloquy_functions::http_function!(ERASE_CONTACT);
