//! POST /api/v1/test-suites/{id}/runs/
colloquy_functions::http_function!(START_TEST_RUN);
