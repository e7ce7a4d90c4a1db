//! GET /api/v1/test-suites/
colloquy_functions::http_function!(LIST_TEST_SUITES);
