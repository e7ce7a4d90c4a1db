//! POST /api/v1/tool-calls/{id}/approve/
colloquy_functions::http_function!(APPROVE_TOOL_CALL);
