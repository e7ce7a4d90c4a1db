//! The Lambda functions of Colloquy, one binary each in `src/bin/`. An HTTP function's `main` is
//! `http_function!("name")`: the route table (`colloquy::api::routes`) says which routes it
//! serves, who may call them and which clients it builds.

/// The `main` of an HTTP API function: one current-thread runtime (a Lambda sandbox handles one
/// request at a time), and the function's rows of the route table.
#[macro_export]
macro_rules! http_function {
    ($name:literal) => {
        fn main() -> Result<(), colloquy::lambda::Error> {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?
                .block_on(colloquy::lambda::serve_http($name))
        }
    };
}
