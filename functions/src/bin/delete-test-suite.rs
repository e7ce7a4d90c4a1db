//! DELETE /api/v1/test-suites/{id}/
colloquy_functions::http_function!(DELETE_TEST_SUITE);
