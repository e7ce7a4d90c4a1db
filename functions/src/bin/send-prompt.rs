//! POST /conversation/{conversationId}/prompt
colloquy_functions::http_function!(SEND_PROMPT);
