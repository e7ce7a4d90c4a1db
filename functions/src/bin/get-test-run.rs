//! GET /api/v1/test-suites/{id}/runs/{runId}/
colloquy_functions::http_function!(GET_TEST_RUN);
