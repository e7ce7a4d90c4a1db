//! POST /api/v1/event-deliveries/{id}/replay/
colloquy_functions::http_function!(REPLAY_EVENT_DELIVERY);
