//! The operator console: every /console/ page.
colloquy_functions::http_function!(CONSOLE);
