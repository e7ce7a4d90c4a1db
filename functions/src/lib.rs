//! The composition root: the Lambda functions of Colloquy (one binary each in `src/bin/`), the
//! wiring that builds a function's clients from its environment, the SQS worker's and the
//! scheduler's entry, and structured logs. An HTTP function's `main` is
//! `http_function!(GET_AGENT)`: its entry in the route table (`colloquy_api::routes::function`)
//! says which routes it serves, who may call them and which clients it builds.

pub mod dead_letters;
pub mod lambda;
pub mod retention;
pub mod scheduler;
pub mod telemetry;
pub mod wiring;
pub mod worker;

// The domain's modules by their short names, so the worker reads `colloquy_domain::reply`.
use colloquy_api::App;
use colloquy_domain::{model, ports};

/// The `main` of an HTTP API function: one current-thread runtime (a Lambda sandbox handles one
/// request at a time), and the function's rows of the route table.
#[macro_export]
macro_rules! http_function {
    ($function:ident) => {
        /// What this function builds, from its rows of the route table.
        struct Clients;
        impl colloquy_functions::wiring::Clients for Clients {
            const NEEDS: colloquy_api::Needs = colloquy_api::routes::function::$function.needs();
        }

        fn main() -> Result<(), colloquy_functions::lambda::Error> {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?
                .block_on(colloquy_functions::lambda::serve_http::<Clients>(&colloquy_api::routes::function::$function))
        }
    };
}
