//! GET /api/v1/conversations/{id}/tool-calls/
colloquy_functions::http_function!(LIST_TOOL_CALLS);
