//! POST /api/v1/tool-calls/{id}/reject/
colloquy_functions::http_function!(REJECT_TOOL_CALL);
