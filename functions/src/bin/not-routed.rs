//! API Gateway's `$default` route: what no route answers — 405 with `Allow` for a known path
//! with another method, 404 otherwise, in the API's error shape.
fn main() -> Result<(), colloquy_functions::lambda::Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(colloquy_functions::lambda::serve_unrouted())
}
