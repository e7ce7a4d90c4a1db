//! PATCH /api/v1/test-suites/{id}/
colloquy_functions::http_function!(UPDATE_TEST_SUITE);
