//! POST /api/v1/conversations/{id}/handback/
colloquy_functions::http_function!("handback-conversation");
