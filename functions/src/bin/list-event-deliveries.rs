//! GET /api/v1/event-deliveries/
colloquy_functions::http_function!(LIST_EVENT_DELIVERIES);
