//! GET /api/v1/conversations/{id}/analysis/
colloquy_functions::http_function!("get-conversation-analysis");
