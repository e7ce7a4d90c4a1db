//! GET /api/v1/test-suites/{id}/
colloquy_functions::http_function!(GET_TEST_SUITE);
