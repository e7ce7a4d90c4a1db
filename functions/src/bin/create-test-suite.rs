//! POST /api/v1/test-suites/
colloquy_functions::http_function!(CREATE_TEST_SUITE);
